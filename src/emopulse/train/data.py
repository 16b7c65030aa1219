"""Labelled data: read, validate, clean (reported, not silent), split, mix."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..core.errors import InputError


def load_labelled(path: str, text_col: str, label_col: str, labels: list[str],
                  min_confidence: float | None = None) -> tuple[list[str], list[str], dict]:
    """(texts, labels, report) with empty texts, unknown labels and duplicates dropped and counted."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: cannot be read as Parquet ({exc})") from exc
    for col in (text_col, label_col):
        if col not in table.column_names:
            raise InputError(f"{path}: no column {col!r} (columns: {', '.join(table.column_names)})")
    texts = table.column(text_col).to_pylist()
    golds = table.column(label_col).to_pylist()
    conf = None
    if min_confidence is not None:
        if "confidence" not in table.column_names:
            raise InputError(f"{path}: --min-confidence needs a 'confidence' column (emopulse label writes one)")
        conf = table.column("confidence").to_pylist()
    report = {"rows": len(texts), "empty": 0, "unknown_label": 0, "duplicates": 0, "low_confidence": 0,
              "unknown_values": []}
    allowed, seen, out_t, out_l = set(labels), set(), [], []
    for i, (t, g) in enumerate(zip(texts, golds)):
        if t is None or not str(t).strip():
            report["empty"] += 1
        elif g not in allowed:
            report["unknown_label"] += 1
            if g not in report["unknown_values"] and len(report["unknown_values"]) < 10:
                report["unknown_values"].append(g)
        elif conf is not None and (conf[i] is None or conf[i] < min_confidence):
            report["low_confidence"] += 1
        elif t in seen:
            report["duplicates"] += 1
        else:
            seen.add(t)
            out_t.append(t)
            out_l.append(g)
    if not out_t:
        raise InputError(f"{path}: no usable rows ({report})")
    present = set(out_l)
    if report["unknown_label"] and len(present) < 2:
        raise InputError(f"{path}: labels {report['unknown_values']} are not the model's {labels}")
    report["kept"] = len(out_t)
    report["class_counts"] = {lab: out_l.count(lab) for lab in labels}
    return out_t, out_l, report


def stratified_split(texts, golds, fraction: float, seed: int):
    rng = np.random.default_rng(seed)
    golds_arr = np.asarray(golds)
    eval_idx = []
    for lab in sorted(set(golds)):
        idx = np.flatnonzero(golds_arr == lab)
        rng.shuffle(idx)
        eval_idx += idx[:max(1, int(round(len(idx) * fraction)))].tolist()
    mask = np.zeros(len(texts), bool)
    mask[eval_idx] = True
    pick = lambda m: ([t for t, k in zip(texts, m) if k], [g for g, k in zip(golds, m) if k])  # noqa: E731
    return pick(~mask), pick(mask)


def mix(texts, golds, other_texts, other_golds, ratio: float, seed: int):
    """New rows plus ratio x as many rows drawn from the original data (duplicates of new rows dropped)."""
    rng = np.random.default_rng(seed)
    have = set(texts)
    pool = [i for i, t in enumerate(other_texts) if t not in have]
    take = rng.permutation(pool)[:int(round(ratio * len(texts)))]
    return texts + [other_texts[i] for i in take], golds + [other_golds[i] for i in take], len(take)


def subsample(texts, golds, n: int | None, seed: int):
    if not n or n >= len(texts):
        return texts, golds
    pick = np.random.default_rng(seed).permutation(len(texts))[:n]
    return [texts[i] for i in pick], [golds[i] for i in pick]
