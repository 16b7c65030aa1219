"""What is compared: the user's obvious alternatives and emopulse's own paths.

Every batch variant processes a chunk of texts and returns one Timing per batch, tokenization
included. `pipeline*` keep the given order (what a user writes first); the others sort each chunk
by length and pad to the longest row of each batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..core.backends import BackendSpec, build_backend
from ..core.batching import Batch, pad_rows
from ..core.bundle import TextEncoder


@dataclass
class Timing:
    seconds: float
    rows: int
    real_tokens: int
    padded_tokens: int


class Variant:
    name = "variant"
    sorted = False

    def setup(self) -> None:
        raise NotImplementedError

    def run_chunk(self, texts: list[str], batch_size: int, deadline: float) -> list[Timing]:
        """Process the chunk; a variant in given order may stop at `deadline` (perf_counter)
        between batches. Sorted variants finish the chunk: stopping early would keep only its
        shortest rows and flatter them."""
        raise NotImplementedError


class SortedBackend(Variant):
    """A backend fed length-sorted batches of `batch_size` rows (the emopulse way, fixed row count)."""

    sorted = True

    def __init__(self, name: str, spec: BackendSpec, encoder: TextEncoder):
        self.name, self.spec, self.encoder = name, spec, encoder

    def setup(self) -> None:
        self.backend = build_backend(self.spec)

    def run_chunk(self, texts, batch_size, deadline):
        t0 = time.perf_counter()
        tokens = self.encoder.encode_tokens(texts)
        order = np.argsort(tokens.lengths, kind="stable")
        tokenize = time.perf_counter() - t0
        groups = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        out = []
        for rows in groups:
            t0 = time.perf_counter()
            input_ids, mask = pad_rows(tokens, rows, self.encoder.pad_id)
            self.backend(Batch(rows, input_ids, mask))
            out.append(
                Timing(time.perf_counter() - t0 + tokenize / len(groups), len(rows), int(mask.sum()), int(mask.size))
            )
        return out


class Pipeline(Variant):
    """transformers.pipeline("text-classification") in the given order; with `onnx_dir`, optimum's
    ORTModelForSequenceClassification inside the same pipeline."""

    def __init__(
        self,
        name: str,
        checkpoint: str,
        encoder: TextEncoder,
        device: str = "cpu",
        onnx_dir: str | None = None,
        onnx_file: str = "model.onnx",
    ):
        self.name, self.checkpoint, self.encoder = name, checkpoint, encoder
        self.device, self.onnx_dir, self.onnx_file = device, onnx_dir, onnx_file

    def setup(self) -> None:
        from transformers import AutoTokenizer, pipeline

        if self.onnx_dir:
            from optimum.onnxruntime import ORTModelForSequenceClassification

            model = ORTModelForSequenceClassification.from_pretrained(self.onnx_dir, file_name=self.onnx_file)
            tok = AutoTokenizer.from_pretrained(self.onnx_dir)
            self.pipe = pipeline("text-classification", model=model, tokenizer=tok)
        else:
            self.pipe = pipeline(
                "text-classification", model=self.checkpoint, device=0 if self.device.startswith("cuda") else -1
            )

    def run_chunk(self, texts, batch_size, deadline):
        lengths = [len(x) for x in self.encoder.encode(texts)[0]]
        out = []
        for i in range(0, len(texts), batch_size):
            part = texts[i : i + batch_size]
            t0 = time.perf_counter()
            self.pipe(part, batch_size=batch_size, truncation=True, max_length=self.encoder.max_length, top_k=None)
            lens = lengths[i : i + batch_size]
            out.append(Timing(time.perf_counter() - t0, len(part), sum(lens), len(part) * max(lens)))
            if time.perf_counter() > deadline:
                break
        return out
