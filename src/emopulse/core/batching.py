"""Length-aware batching: the main reason a bulk run is fast on CPU.

Rows are sorted by token count inside a window, then cut into batches whose padded size
(rows x longest row) stays under a token budget. Short comments then travel in big batches and
long ones in small batches, and almost no compute is spent on padding.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Batch:
    rows: np.ndarray          # positions inside the window, in the batch's order
    input_ids: np.ndarray     # int64 [n, longest]
    attention_mask: np.ndarray

    @property
    def padded_tokens(self) -> int:
        return int(self.input_ids.size)

    @property
    def real_tokens(self) -> int:
        return int(self.attention_mask.sum())


# Batch-invariant precisions (static int8) pad each row to its own length rounded up to BUCKET and
# batch only rows of one bucket: a row then meets the same kernels on the same shapes whatever rows
# share its part, so its outputs are bit-identical across part sizes, worker counts and engines.
BUCKET = 16
BATCH_INVARIANT = {"int8-static"}


def bucket_for(precision: str) -> int:
    return BUCKET if precision in BATCH_INVARIANT else 0


def dedup(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Unique texts in first-seen order and, per input text, the index of its unique copy."""
    index: dict[str, int] = {}
    inverse = np.fromiter((index.setdefault(t, len(index)) for t in texts), dtype=np.int64,
                          count=len(texts))
    return list(index), inverse


def cut_batches(lengths: np.ndarray, max_batch_tokens: int, max_batch_rows: int,
                bucket: int = 0) -> list[np.ndarray]:
    """Sort rows by length and cut them so that rows x longest <= max_batch_tokens.

    A row longer than the budget on its own still gets a batch of one. With `bucket`, lengths are
    rounded up to a multiple of it and a batch holds one rounded length only."""
    if bucket:
        lengths = -(-lengths // bucket) * bucket
    order = np.argsort(lengths, kind="stable")
    batches, start = [], 0
    n = len(order)
    while start < n:
        stop = start + 1
        while stop < n and stop - start < max_batch_rows and \
                lengths[order[stop]] * (stop - start + 1) <= max_batch_tokens and \
                (not bucket or lengths[order[stop]] == lengths[order[start]]):
            stop += 1
        batches.append(order[start:stop])
        start = stop
    return batches


def pad(ids: list[list[int]], rows: np.ndarray, pad_id: int, bucket: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pad the chosen rows to the longest of them (right padding), rounded up to `bucket`."""
    longest = max(len(ids[r]) for r in rows)
    if bucket:
        longest = -(-longest // bucket) * bucket
    input_ids = np.full((len(rows), longest), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), longest), dtype=np.int64)
    for k, r in enumerate(rows):
        row = ids[r]
        input_ids[k, :len(row)] = row
        mask[k, :len(row)] = 1
    return input_ids, mask


def make_batches(ids: list[list[int]], pad_id: int, max_batch_tokens: int,
                 max_batch_rows: int, bucket: int = 0) -> list[Batch]:
    lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    out = []
    for rows in cut_batches(lengths, max_batch_tokens, max_batch_rows, bucket):
        input_ids, mask = pad(ids, rows, pad_id, bucket)
        out.append(Batch(rows, input_ids, mask))
    return out
