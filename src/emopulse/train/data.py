"""Labelled data: read, validate, clean (reported, not silent), split, mix."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..core.errors import InputError
from ..core.text import canonical


@dataclass
class Labelled:
    texts: list[str]
    labels: list[str]
    report: dict
    sources: list[str | None] = field(default_factory=list)  # per row, when the data has a source column

    def __iter__(self):  # texts, labels, report = load_labelled(...)
        return iter((self.texts, self.labels, self.report))


def load_labelled(
    path: str,
    text_col: str,
    label_col: str,
    labels: list[str],
    min_confidence: float | None = None,
    source_col: str | None = None,
) -> Labelled:
    """Rows with empty texts, unknown labels and duplicates dropped and counted in the report. Texts come
    back in their canonical form (core.text.canonical), so two byte forms of one comment are one duplicate."""
    if "://" not in path and not os.path.exists(path):  # URIs are left to pyarrow's filesystems
        raise InputError(f"{path or repr(path)}: no such file or directory")
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: cannot be read as Parquet ({exc})") from exc
    for col in (text_col, label_col):
        if col not in table.column_names:
            raise InputError(f"{path}: no column {col!r} (columns: {', '.join(table.column_names)})")
    col = table.column(text_col)
    if pa.types.is_dictionary(col.type):  # pandas category / polars Categorical
        col = col.combine_chunks().dictionary_decode()
    if pa.types.is_null(col.type):
        col = col.cast(pa.string())
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        raise InputError(f"{path}: text column {text_col!r} is {col.type}, not strings")
    texts = canonical(col).to_pylist()  # what every model member is fit on and served (core.text)
    golds = table.column(label_col).to_pylist()
    srcs = (
        table.column(source_col).to_pylist() if source_col and source_col in table.column_names else [None] * len(texts)
    )
    conf = None
    if min_confidence is not None:
        if "confidence" not in table.column_names:
            raise InputError(f"{path}: --min-confidence needs a 'confidence' column (emopulse label writes one)")
        conf = table.column("confidence").to_pylist()
    report = {
        "rows": len(texts),
        "empty": 0,
        "unknown_label": 0,
        "duplicates": 0,
        "low_confidence": 0,
        "unknown_values": [],
    }
    allowed, seen, out_t, out_l, out_s = set(labels), set(), [], [], []
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
            out_s.append(srcs[i])
    if not out_t:
        raise InputError(f"{path}: no usable rows ({report})")
    present = set(out_l)
    if report["unknown_label"] and len(present) < 2:
        raise InputError(f"{path}: labels {report['unknown_values']} are not the model's {labels}")
    report["kept"] = len(out_t)
    report["class_counts"] = {lab: out_l.count(lab) for lab in labels}
    if any(s is not None for s in out_s):
        report["source_counts"] = {str(k): out_s.count(k) for k in sorted(set(out_s), key=str)}
    return Labelled(out_t, out_l, report, out_s)


def stratified_split(texts, golds, fraction: float, seed: int):
    rng = np.random.default_rng(seed)
    golds_arr = np.asarray(golds)
    eval_idx = []
    for lab in sorted(set(golds)):
        idx = np.flatnonzero(golds_arr == lab)
        rng.shuffle(idx)
        eval_idx += idx[: max(1, int(round(len(idx) * fraction)))].tolist()
    mask = np.zeros(len(texts), bool)
    mask[eval_idx] = True
    pick = lambda m: ([t for t, k in zip(texts, m) if k], [g for g, k in zip(golds, m) if k])  # noqa: E731
    return pick(~mask), pick(mask)


def mix(texts, golds, other_texts, other_golds, ratio: float, seed: int):
    """New rows plus ratio x as many rows drawn from the original data (duplicates of new rows dropped)."""
    rng = np.random.default_rng(seed)
    have = set(texts)
    pool = [i for i, t in enumerate(other_texts) if t not in have]
    take = rng.permutation(pool)[: int(round(ratio * len(texts)))]
    return texts + [other_texts[i] for i in take], golds + [other_golds[i] for i in take], len(take)


def subsample(texts, golds, n: int | None, seed: int):
    if not n or n >= len(texts):
        return texts, golds
    pick = np.random.default_rng(seed).permutation(len(texts))[:n]
    return [texts[i] for i in pick], [golds[i] for i in pick]


def split_by_source(data: Labelled, native: str, eval_fraction: float, seed: int):
    """Validation drawn from the native rows only (stratified), training from everything else: the
    model is chosen for the comments it will serve, not for translated ones."""
    idx = [i for i, s in enumerate(data.sources) if s == native]
    if not idx:
        raise InputError(f"no row has source {native!r} (sources: {data.report.get('source_counts')})")
    (_, _), (ev_t, ev_l) = stratified_split(
        [data.texts[i] for i in idx], [data.labels[i] for i in idx], eval_fraction, seed
    )
    held = set(ev_t)
    keep = [i for i, t in enumerate(data.texts) if t not in held]
    train = ([data.texts[i] for i in keep], [data.labels[i] for i in keep], [data.sources[i] for i in keep])
    return train, (ev_t, ev_l)


def oversample(texts, golds, sources, native: str, factor: float, seed: int):
    """Native rows repeated `factor` times (the fraction drawn at random); other rows once."""
    if factor == 1.0:
        return texts, golds
    rng = np.random.default_rng(seed)
    idx = np.flatnonzero(np.asarray([s == native for s in sources]))
    whole, frac = int(factor), factor - int(factor)
    extra = np.concatenate([np.repeat(idx, max(whole - 1, 0)), rng.permutation(idx)[: int(round(frac * len(idx)))]])
    if factor < 1.0:  # down-weighting: drop a share of the native rows
        drop = set(rng.permutation(idx)[: int(round((1 - factor) * len(idx)))].tolist())
        keep = [i for i in range(len(texts)) if i not in drop]
        return [texts[i] for i in keep], [golds[i] for i in keep]
    order = np.concatenate([np.arange(len(texts)), extra.astype(np.int64)])
    return [texts[i] for i in order], [golds[i] for i in order]


def write_native_split(
    path: str,
    output: str,
    native: str = "kote_val",
    source_col: str = "source",
    test_rows: int = 1000,
    dev_rows: int = 500,
    seed: int = 20261129,
) -> dict:
    """Held-out native rows for final figures (test) and for choices (dev: early stopping, ensemble
    weights, temperature), each stratified by label; everything else is training data.
    Writes train.parquet, dev.parquet, test.parquet under `output`."""
    table = pq.read_table(path)
    if source_col not in table.column_names:
        raise InputError(f"{path}: no column {source_col!r} to find the native rows by")
    src = np.asarray(table.column(source_col).to_pylist(), dtype=object)
    lab = np.asarray(table.column("label").to_pylist(), dtype=object)
    native_idx = np.flatnonzero(src == native)
    n = len(native_idx)
    if test_rows + dev_rows >= n:
        raise InputError(f"{path}: {n} native rows cannot give {test_rows} test + {dev_rows} dev rows")
    rng = np.random.default_rng(seed)
    test, dev = [], []
    for c in sorted(set(lab[native_idx])):
        idx = native_idx[lab[native_idx] == c]
        idx = rng.permutation(idx)
        k_test, k_dev = int(round(len(idx) * test_rows / n)), int(round(len(idx) * dev_rows / n))
        test += idx[:k_test].tolist()
        dev += idx[k_test : k_test + k_dev].tolist()
    held = set(test) | set(dev)
    train = [i for i in range(table.num_rows) if i not in held]
    os.makedirs(output, exist_ok=True)
    out = {}
    for name, idx in (("train", train), ("dev", sorted(dev)), ("test", sorted(test))):
        part = table.take(pa.array(idx, pa.int64()))
        pq.write_table(part, os.path.join(output, f"{name}.parquet"))
        out[name] = part.num_rows
    return out
