"""A null model for host benchmarks (`emopulse bench --host-only`), named as such: it returns zero
logits of the model's output shape [rows, n_labels] without computing anything, so a serve-batch
run through it measures everything but the model (read, prepare, head, assemble, write)."""

from __future__ import annotations

import json
import os

import numpy as np

from .base import Backend


class NoopBackend(Backend):
    name = "noop"

    def __init__(self, path: str):
        config = os.path.join(path if os.path.isdir(path) else os.path.dirname(path) or ".", "config.json")
        with open(config) as f:
            self.n_labels = len(json.load(f)["id2label"])

    def prepare(self, batch):
        return len(batch.rows)

    def run(self, rows: int) -> np.ndarray:
        return np.zeros((rows, self.n_labels), np.float32)
