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
    rows: np.ndarray  # positions inside the window, in the batch's order
    input_ids: np.ndarray  # int64 [n, longest]
    attention_mask: np.ndarray

    @property
    def padded_tokens(self) -> int:
        return int(self.input_ids.size)

    @property
    def real_tokens(self) -> int:
        return int(self.attention_mask.sum())


# One answer per text: each row is padded to its own length rounded up to a bucket, and a batch holds
# rows of one rounded length only, so a row meets the same kernels on the same shapes whatever rows
# share its part: with a precision whose arithmetic is per row (fp32, weight-only int8, static int8)
# its outputs are bit-identical across part sizes, worker counts, token budgets and engines. On CPU
# the bucket is 1 token — no padding at all (10,000 NSMC reviews, budget 2,048: padded/real 1.000 vs
# 1.010 for free lengths, 1.45 for 16-token buckets, with 104 batches instead of 82). GPUs want
# fewer, fuller batches: 8-token buckets there.
BUCKET = {"cpu": 1, "cuda": 8}
# Dynamic int8 scales activations by each batch's range: no padding rule makes it invariant.
BATCH_VARIANT = {"int8", "int8-mixed"}


def bucket_for(precision: str, device: str = "cpu") -> int:
    """The padding bucket of a precision on a device; 0 (free lengths) where invariance cannot hold."""
    if precision in BATCH_VARIANT:
        return 0
    return BUCKET["cuda" if str(device).startswith("cuda") else "cpu"]


@dataclass
class Tokens:
    """Token ids of n texts, flat: text i is flat[offsets[i]:offsets[i] + lengths[i]]."""

    flat: np.ndarray  # int64 [sum(lengths)]
    lengths: np.ndarray  # int64 [n]
    truncated: np.ndarray  # bool [n]

    @property
    def offsets(self) -> np.ndarray:
        return np.cumsum(self.lengths) - self.lengths

    @classmethod
    def from_lists(cls, ids: list[list[int]], truncated=None) -> Tokens:
        lengths = np.fromiter(map(len, ids), np.int64, len(ids))
        flat = np.fromiter((t for row in ids for t in row), np.int64, int(lengths.sum()))
        return cls(flat, lengths, np.zeros(len(ids), bool) if truncated is None else np.asarray(truncated, bool))

    @classmethod
    def concat(cls, parts: list[Tokens]) -> Tokens:
        if not parts:
            return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool))
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("flat", "lengths", "truncated")))


def dedup(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Unique texts in first-seen order and, per input text, the index of its unique copy."""
    index: dict[str, int] = {}
    inverse = np.fromiter((index.setdefault(t, len(index)) for t in texts), dtype=np.int64, count=len(texts))
    return list(index), inverse


def cut_batches(lengths: np.ndarray, max_batch_tokens: int, max_batch_rows: int, bucket: int = 0) -> list[np.ndarray]:
    """Sort rows by length and cut them so that rows x longest <= max_batch_tokens.

    A row longer than the budget on its own still gets a batch of one. With `bucket`, lengths are
    rounded up to a multiple of it and a batch holds one rounded length only. One numpy step per
    batch (rows x longest only grows along the sorted rows, so a batch ends at the first row that
    does not fit)."""
    lengths = np.asarray(lengths, np.int64)
    if bucket:
        lengths = -(-lengths // bucket) * bucket
    order = np.argsort(lengths, kind="stable")
    srt = lengths[order]
    batches, start, n = [], 0, len(order)
    while start < n:
        span = srt[start : start + max_batch_rows]
        fits = span * np.arange(1, len(span) + 1) <= max_batch_tokens
        if bucket:
            fits &= span == span[0]
        fits[0] = True
        stop = start + (len(span) if fits.all() else int(np.argmin(fits)))
        batches.append(order[start:stop])
        start = stop
    return batches


def pad_rows(tokens: Tokens, rows: np.ndarray, pad_id: int, bucket: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The chosen rows padded to the longest of them (right padding), rounded up to `bucket`."""
    lens = tokens.lengths[rows]
    longest = int(lens.max())
    if bucket:
        longest = -(-longest // bucket) * bucket
    mask = np.arange(longest) < lens[:, None]
    input_ids = np.full((len(rows), longest), pad_id, dtype=np.int64)
    # positions of the chosen rows' tokens in the flat array, row after row
    starts = tokens.offsets[rows]
    gather = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(int(lens.sum()))
    input_ids[mask] = tokens.flat[gather]
    return input_ids, mask.astype(np.int64)


def batches_of(tokens: Tokens, pad_id: int, max_batch_tokens: int, max_batch_rows: int, bucket: int = 0) -> list[Batch]:
    """Length-sorted, token-budgeted, padded batches over all rows of `tokens`."""
    out = []
    for rows in cut_batches(tokens.lengths, max_batch_tokens, max_batch_rows, bucket):
        input_ids, mask = pad_rows(tokens, rows, pad_id, bucket)
        out.append(Batch(rows, input_ids, mask))
    return out


def make_batches(
    ids: list[list[int]], pad_id: int, max_batch_tokens: int, max_batch_rows: int, bucket: int = 0
) -> list[Batch]:
    """`batches_of` for token ids given as lists."""
    return batches_of(Tokens.from_lists(ids), pad_id, max_batch_tokens, max_batch_rows, bucket)


def pad(ids: list[list[int]], rows: np.ndarray, pad_id: int, bucket: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`pad_rows` for token ids given as lists."""
    chosen = Tokens.from_lists([ids[r] for r in rows])
    return pad_rows(chosen, np.arange(len(rows)), pad_id, bucket)
