from __future__ import annotations

import numpy as np

from ..batching import Batch


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float32, copy=False)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class Backend:
    name = "base"
    device = "cpu"

    def prepare(self, batch: Batch):
        raise NotImplementedError

    def run(self, inputs) -> np.ndarray:
        raise NotImplementedError

    def finish(self, logits: np.ndarray) -> np.ndarray:
        return softmax(logits)

    def __call__(self, batch: Batch) -> np.ndarray:
        return self.finish(self.run(self.prepare(batch)))
