"""Texts in, prediction columns out: the part of serving that every engine shares.

`prepare` (host) sorts out null/empty texts, computes each distinct text once, tokenizes, runs the
head's text members and cuts length-sorted batches; the engine runs the batches on a backend;
`assemble` (host) scatters the probabilities back to input order and applies the head. The part loop
(core/partloop.py) overlaps these steps; the Ray engine runs them in an actor.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import schema
from .batching import Batch, Tokens, batches_of
from .bundle import TextEncoder
from .errors import BundleError
from .head import Head
from .progress import Timers
from .reader import decode_texts
from .text import canonical


@dataclass
class Prepared:
    """One part's texts, ready for the model: what `Predictor.prepare` hands to the device."""

    n_rows: int
    status: np.ndarray  # int8 [n_rows]: index into STATUS
    text_rows: np.ndarray  # input rows that carry text
    inverse: np.ndarray  # per text row: index of its distinct text
    tokens: Tokens  # per distinct text
    batches: list[Batch]  # over distinct texts
    texts: list[str]  # distinct texts
    bad: dict  # input row -> reason, rows refused before the model (invalid UTF-8)
    member_logits: np.ndarray | None = None  # the head's text members, per distinct text
    credited: int = 0  # rows already reported to a progress bar as its batches finished

    @property
    def duplicates(self) -> int:
        return len(self.text_rows) - len(self.texts)

    @property
    def n_tokens(self) -> np.ndarray:
        return self.tokens.lengths

    @property
    def truncated(self) -> np.ndarray:
        return self.tokens.truncated


@dataclass
class BatchResult:
    probs: np.ndarray  # [n, n_labels]; NaN rows failed
    failures: dict[int, str]  # row in batch -> reason
    seconds: float  # time inside the model


def run_batch(backend, batch: Batch) -> BatchResult:
    """Run one batch; if it fails, retry its rows one by one so only the bad rows are lost."""
    t0 = time.perf_counter()
    try:
        return BatchResult(backend(batch), {}, time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - any model error becomes a dead-letter reason
        if len(batch.rows) == 1:
            return BatchResult(np.full((1, 0), np.nan, np.float32), {0: _reason(exc)}, time.perf_counter() - t0)
    rows, failures = [], {}
    for k in range(len(batch.rows)):
        n = int(batch.attention_mask[k].sum())
        one = Batch(batch.rows[k : k + 1], batch.input_ids[k : k + 1, :n], batch.attention_mask[k : k + 1, :n])
        try:
            rows.append(backend(one)[0])
        except Exception as exc:  # noqa: BLE001
            failures[k] = _reason(exc)
            rows.append(None)
    width = next((len(r) for r in rows if r is not None), 0)
    probs = (
        np.stack([r if r is not None else np.full(width, np.nan, np.float32) for r in rows])
        if width
        else np.full((len(rows), 0), np.nan, np.float32)
    )
    return BatchResult(probs.astype(np.float32), failures, time.perf_counter() - t0)


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:500] if str(exc).strip() else ''}"


# status codes of Prepared.status, in this order
STATUS = (schema.OK, schema.NULL_TEXT, schema.EMPTY_TEXT, schema.FAILED)
_OK, _NULL, _EMPTY, _FAILED = range(4)


class Predictor:
    """Texts in, prediction columns out (the part of serving every engine shares).

    `prepare` and `assemble` are Arrow / numpy operations over the whole part; the per-text work
    (tokenization, the head's n-gram member) runs in chunks on `host_workers` threads, which scale
    with cores because the tokenizer, numpy and Arrow release the GIL. The output does not depend
    on `host_workers` (tested)."""

    def __init__(
        self,
        encoder: TextEncoder,
        labels: list[str],
        max_batch_tokens: int = 8192,
        max_batch_rows: int = 256,
        head: Head | None = None,
        bucket: int = 0,
        host_workers: int = 1,
        timers: Timers | None = None,
    ):
        self.encoder = encoder
        self.bucket = bucket  # > 0: batch-invariant padding (core.batching.bucket_for)
        self.head = head or Head()
        self.labels = list(labels)
        self.max_batch_tokens = max_batch_tokens
        self.max_batch_rows = max_batch_rows
        self.host_workers = max(1, host_workers)
        # the host threads are the one source of parallelism: the tokenizer's own thread pool (rayon,
        # on by default) would run each chunk on every core and oversubscribe them (set it to override)
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self.timers = timers or Timers()  # thread seconds: tokenize, head (its text members and mix)
        self._pool = None

    @property
    def pool(self) -> ThreadPoolExecutor | None:
        if self._pool is None and self.host_workers > 1:
            self._pool = ThreadPoolExecutor(self.host_workers, thread_name_prefix="emopulse-host")
        return self._pool

    def prepare(self, texts: pa.Array) -> Prepared:
        """Status, distinct texts, tokens, the head's text members and length-sorted batches of a
        column of texts (string, large_string or binary; invalid UTF-8 rows are marked failed)."""
        texts, bad = utf8_texts(texts)
        texts = canonical(texts)  # every model member reads the canonical text (core/text.py)
        n = len(texts)
        status = np.full(n, _OK, np.int8)
        is_null = pc.is_null(texts).to_numpy(zero_copy_only=False)
        status[is_null] = _NULL
        blank = pc.equal(pc.utf8_trim_whitespace(texts), "").fill_null(False).to_numpy(zero_copy_only=False)
        status[blank & ~is_null] = _EMPTY
        if bad:
            status[list(bad)] = _FAILED
        text_rows = np.flatnonzero(status == _OK)
        codes = pc.dictionary_encode(texts.take(pa.array(text_rows))) if len(text_rows) else None
        inverse = codes.indices.to_numpy(zero_copy_only=False).astype(np.int64) if codes else np.zeros(0, np.int64)
        distinct = codes.dictionary.to_pylist() if codes else []
        member = None
        pool = self.pool
        if pool is not None and len(distinct) > _CHUNK:
            chunks = [distinct[i : i + _CHUNK] for i in range(0, len(distinct), _CHUNK)]
            tok_f = [pool.submit(self._tokenize, c) for c in chunks]
            mem_f = [pool.submit(self._members, c) for c in chunks] if self.head.uses_texts else []
            tokens = Tokens.concat([f.result() for f in tok_f])
            member = np.concatenate([f.result() for f in mem_f]) if mem_f else None
        else:
            tokens = self._tokenize(distinct)
            member = self._members(distinct) if distinct else None
        batches = (
            batches_of(tokens, self.encoder.pad_id, self.max_batch_tokens, self.max_batch_rows, self.bucket)
            if distinct
            else []
        )
        return Prepared(n, status, text_rows, inverse, tokens, batches, distinct, bad, member)

    def assemble(self, prep: Prepared, results: list[BatchResult]) -> tuple[pa.Table, list[tuple[int, str]]]:
        """Prediction columns in input order, and the (input row, reason) pairs that failed."""
        k = len(self.labels)
        probs = np.full((len(prep.texts), k), np.nan, dtype=np.float32)
        failed: dict[int, str] = {}
        for batch, res in zip(prep.batches, results):
            if res.probs.shape[1] == k:
                probs[batch.rows] = res.probs
            elif res.probs.shape[1]:
                raise BundleError(
                    f"the model returns {res.probs.shape[1]} classes but its id2label names {k}: "
                    "config.json does not belong to this model"
                )
            for j, reason in res.failures.items():
                failed[int(batch.rows[j])] = reason
        with self.timers.time("head"):
            probs = self.head.apply(probs, prep.texts, prep.member_logits)
        n = prep.n_rows
        status = prep.status.copy()
        row_probs = np.full((n, k), np.nan, dtype=np.float32)
        n_tokens = np.zeros(n, dtype=np.int32)
        truncated = np.zeros(n, dtype=bool)
        if len(prep.text_rows):
            row_probs[prep.text_rows] = probs[prep.inverse]
            n_tokens[prep.text_rows] = prep.n_tokens[prep.inverse]
            truncated[prep.text_rows] = prep.truncated[prep.inverse]
        dead = sorted(prep.bad.items())
        if failed:
            for row, u in zip(prep.text_rows, prep.inverse):
                if int(u) in failed:
                    status[row] = _FAILED
                    dead.append((int(row), failed[int(u)]))
        ok = status == _OK
        label_idx = np.argmax(np.nan_to_num(row_probs, nan=-1.0), axis=1) if k else np.zeros(n, np.int64)
        has_text = np.zeros(n, dtype=bool)
        has_text[prep.text_rows] = True
        cols = {schema.LABEL_COL: pa.array(self.labels, pa.string()).take(pa.array(label_idx, mask=~ok))}
        for j, lab in enumerate(self.labels):
            cols[schema.prob_col(lab)] = pa.array(row_probs[:, j], pa.float32(), mask=~ok)
        cols[schema.N_TOKENS_COL] = pa.array(n_tokens, pa.int32(), mask=~has_text)
        cols[schema.TRUNCATED_COL] = pa.array(truncated, pa.bool_())
        cols[schema.STATUS_COL] = pa.array(STATUS, pa.string()).take(pa.array(status))
        return pa.table(cols), dead

    def _tokenize(self, texts: list[str]) -> Tokens:
        with self.timers.time("tokenize"):
            return self.encoder.encode_tokens(texts)

    def _members(self, texts: list[str]) -> np.ndarray | None:
        with self.timers.time("head"):
            return self.head.member_logits(texts)

    def predict(self, texts: pa.Array, backend) -> tuple[pa.Table, list[tuple[int, str]]]:
        prep = self.prepare(texts)
        return self.assemble(prep, [run_batch(backend, b) for b in prep.batches])

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


# distinct texts per host task: big enough that a chunk's fixed costs vanish, small enough that 2,000+
# texts keep every host worker busy
_CHUNK = 1024


def utf8_texts(column) -> tuple[pa.Array, dict[int, str]]:
    """A column of texts as an Arrow string array; rows holding invalid UTF-8 come back with the bad
    bytes replaced and are listed (row -> reason) so they can be dead-lettered, not crash."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    try:
        column.validate(full=True)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            return column, {}
        if pa.types.is_string_view(column.type) or pa.types.is_null(column.type):
            return column.cast(pa.large_string()), {}
    except pa.ArrowInvalid:
        pass
    values, bad = decode_texts(column)
    return pa.array(values, pa.large_string()), bad


def predict_probs(
    model: str, texts: list[str], max_length: int = 256, threads: int = 0, served: bool = True
) -> tuple[np.ndarray, list[str]]:
    """Probabilities of each text, in order, from a bundle / .onnx / checkpoint: the served ones
    (head applied), or the model's own with served=False (what calibrate fits the head on)."""
    from . import schema as sc
    from .backends import build_backend
    from .bundle import load_bundle

    bundle = load_bundle(model, max_length, threads=threads)
    predictor = bundle.predictor(4096, 64) if served else Predictor(bundle.encoder(), bundle.labels, 4096, 64)
    pred, _ = predictor.predict(pa.array(texts, pa.string()), build_backend(bundle.spec))
    probs = np.column_stack([pred.column(c).to_numpy(zero_copy_only=False) for c in sc.prob_cols(bundle.labels)])
    return probs.astype(np.float32), bundle.labels
