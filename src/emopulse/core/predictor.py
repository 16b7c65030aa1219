"""Texts in, prediction columns out: the part of serving that every engine shares.

`prepare` (CPU) sorts out null/empty texts, computes each distinct text once, tokenizes and cuts
length-sorted batches; the engine runs the batches on a backend; `assemble` (CPU) scatters the
probabilities back to input order. The local engine overlaps these steps across threads and
processes; the Ray engine calls `predict` inside an actor.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import schema
from .batching import Batch, dedup, make_batches
from .bundle import TextEncoder
from .errors import BundleError
from .head import Head
from .reader import decode_texts
from .text import canonical_list


@dataclass
class Prepared:
    n_rows: int
    status: np.ndarray        # object array of status strings, per input row
    text_rows: np.ndarray     # input rows that carry text
    inverse: np.ndarray       # per text row: index of its distinct text
    n_tokens: np.ndarray      # per distinct text
    truncated: np.ndarray     # per distinct text
    batches: list[Batch]      # over distinct texts
    texts: list[str]          # distinct texts (for the dead-letter file)
    bad: dict                 # input row -> reason, rows refused before the model (invalid UTF-8)

    @property
    def duplicates(self) -> int:
        return len(self.text_rows) - len(self.texts)


@dataclass
class BatchResult:
    probs: np.ndarray                 # [n, n_labels]; NaN rows failed
    failures: dict[int, str]          # row in batch -> reason
    seconds: float                    # time inside the model


def run_batch(backend, batch: Batch) -> BatchResult:
    """Run one batch; if it fails, retry its rows one by one so only the bad rows are lost."""
    t0 = time.perf_counter()
    try:
        return BatchResult(backend(batch), {}, time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - any model error becomes a dead-letter reason
        if len(batch.rows) == 1:
            return BatchResult(np.full((1, 0), np.nan, np.float32), {0: _reason(exc)},
                               time.perf_counter() - t0)
    rows, failures = [], {}
    for k in range(len(batch.rows)):
        n = int(batch.attention_mask[k].sum())
        one = Batch(batch.rows[k:k + 1], batch.input_ids[k:k + 1, :n], batch.attention_mask[k:k + 1, :n])
        try:
            rows.append(backend(one)[0])
        except Exception as exc:  # noqa: BLE001
            failures[k] = _reason(exc)
            rows.append(None)
    width = next((len(r) for r in rows if r is not None), 0)
    probs = np.stack([r if r is not None else np.full(width, np.nan, np.float32) for r in rows]) \
        if width else np.full((len(rows), 0), np.nan, np.float32)
    return BatchResult(probs.astype(np.float32), failures, time.perf_counter() - t0)


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:500] if str(exc).strip() else ''}"


class Predictor:
    def __init__(self, encoder: TextEncoder, labels: list[str], max_batch_tokens: int = 8192,
                 max_batch_rows: int = 256, head: Head | None = None, bucket: int = 0):
        self.encoder = encoder
        self.bucket = bucket                 # > 0: batch-invariant padding (core.batching.BUCKET)
        self.head = head or Head()
        self.labels = list(labels)
        self.max_batch_tokens = max_batch_tokens
        self.max_batch_rows = max_batch_rows

    def prepare(self, texts: pa.Array) -> Prepared:
        values, bad = decode_texts(texts)
        values = canonical_list(values)   # issue 22: every model member reads the canonical text (core.text)
        n = len(values)
        status = np.full(n, schema.OK, dtype=object)
        text_rows = []
        for i, t in enumerate(values):
            if i in bad:
                status[i] = schema.FAILED
            elif t is None:
                status[i] = schema.NULL_TEXT
            elif not t.strip():
                status[i] = schema.EMPTY_TEXT
            else:
                text_rows.append(i)
        text_rows = np.asarray(text_rows, dtype=np.int64)
        distinct, inverse = dedup([values[i] for i in text_rows])
        ids, truncated = self.encoder.encode(distinct) if distinct else ([], np.zeros(0, bool))
        n_tokens = np.fromiter((len(x) for x in ids), dtype=np.int32, count=len(ids))
        batches = make_batches(ids, self.encoder.pad_id, self.max_batch_tokens,
                               self.max_batch_rows, self.bucket) if ids else []
        return Prepared(n, status, text_rows, inverse, n_tokens, truncated, batches, distinct, bad)

    def assemble(self, prep: Prepared, results: list[BatchResult]) -> tuple[pa.Table, list[tuple[int, str]]]:
        """Prediction columns in input order, and the (input row, reason) pairs that failed."""
        k = len(self.labels)
        probs = np.full((len(prep.texts), k), np.nan, dtype=np.float32)
        failed: dict[int, str] = {}
        for batch, res in zip(prep.batches, results):
            if res.probs.shape[1] == k:
                probs[batch.rows] = res.probs
            elif res.probs.shape[1]:
                raise BundleError(f"the model returns {res.probs.shape[1]} classes but its id2label names {k}: "
                                  "config.json does not belong to this model")
            for j, reason in res.failures.items():
                failed[int(batch.rows[j])] = reason
        probs = self.head.apply(probs, prep.texts)
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
                    status[row] = schema.FAILED
                    dead.append((int(row), failed[int(u)]))
        ok = status == schema.OK
        label_idx = np.argmax(np.nan_to_num(row_probs, nan=-1.0), axis=1) if k else np.zeros(n, int)
        labels = np.asarray(self.labels, dtype=object)[label_idx]
        has_text = np.zeros(n, dtype=bool)
        has_text[prep.text_rows] = True
        cols = {schema.LABEL_COL: pa.array(np.where(ok, labels, None), pa.string())}
        for j, lab in enumerate(self.labels):
            cols[schema.prob_col(lab)] = pa.array(row_probs[:, j], pa.float32(), mask=~ok)
        cols[schema.N_TOKENS_COL] = pa.array(n_tokens, pa.int32(), mask=~has_text)
        cols[schema.TRUNCATED_COL] = pa.array(truncated, pa.bool_())
        cols[schema.STATUS_COL] = pa.array(status.tolist(), pa.string())
        return pa.table(cols), dead

    def predict(self, texts: pa.Array, backend) -> tuple[pa.Table, list[tuple[int, str]]]:
        prep = self.prepare(texts)
        return self.assemble(prep, [run_batch(backend, b) for b in prep.batches])


def predict_probs(model: str, texts: list[str], max_length: int = 256, threads: int = 0,
                  served: bool = True) -> tuple[np.ndarray, list[str]]:
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
