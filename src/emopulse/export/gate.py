"""The accuracy gate: a candidate ONNX model must agree with the PyTorch fp32 checkpoint.

Both run on the same validation texts through the same tokenizer and batching; the gate reports
argmax agreement, the largest and mean absolute probability differences and, when the sample has
labels, the macro-F1 of both.
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .. import data
from ..core.backends import BackendSpec, build_backend
from ..core.bundle import TextEncoder
from ..core.errors import InputError
from ..core.head import load_head
from ..core.metrics import quality, report
from ..core.predictor import Predictor

EVAL_SAMPLE = "eval_sample.parquet"  # written into a checkpoint by `emopulse train`


def gate_sample(
    checkpoint: str, calibration: str | None, text_col: str, label_col: str | None, rows: int
) -> tuple[list[str], list[str] | None, str]:
    """Texts (and labels when known) for the gate: --calibration, else the checkpoint's own
    validation sample, else the bundled labelled sample."""
    if calibration:
        source = calibration
    elif os.path.exists(os.path.join(checkpoint, EVAL_SAMPLE)):
        source, text_col, label_col = os.path.join(checkpoint, EVAL_SAMPLE), "text", "label"
    else:
        source, text_col, label_col = data.path(data.LABELLED), "text", "label"
    try:
        table = pq.read_table(source)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{source}: cannot read the gate sample ({exc})") from exc
    if text_col not in table.column_names:
        raise InputError(f"{source}: no text column {text_col!r} for the gate sample")
    texts = table.column(text_col).to_pylist()
    labels = table.column(label_col).to_pylist() if label_col and label_col in table.column_names else None
    keep = [i for i, t in enumerate(texts) if t and t.strip()]
    keep = [keep[i] for i in np.random.default_rng(0).permutation(len(keep))[:rows]]
    return [texts[i] for i in keep], ([labels[i] for i in keep] if labels else None), source


def run_gate(
    checkpoint: str,
    candidate: str,
    encoder: TextEncoder,
    labels_order: list[str],
    texts: list[str],
    gold: list[str] | None,
    device: str = "cpu",
    precision: str = "",
    references: dict | None = None,
) -> dict:
    """The gate's figures for one candidate. `references` (a dict the caller keeps across the candidates
    of one export) holds the PyTorch reference per batching, so the ladder runs the checkpoint once."""
    # both sides through the served head (temperature, n-gram member) and the served batching
    # (bucketed for batch-invariant precisions): the gate judges what users get
    from ..core.batching import bucket_for

    bucket = bucket_for(precision)
    predictor = Predictor(
        encoder,
        labels_order,
        max_batch_tokens=4096,
        max_batch_rows=64,
        head=load_head(checkpoint, labels_order),
        bucket=bucket,
    )
    texts_arr = pa.array(texts, pa.string())
    references = {} if references is None else references
    if bucket not in references:
        references[bucket], _ = predictor.predict(texts_arr, build_backend(BackendSpec("torch", checkpoint)))
    ref = references[bucket]
    cand, dead = predictor.predict(texts_arr, build_backend(BackendSpec("onnx", candidate, device)))
    if dead:
        raise RuntimeError(f"candidate failed on {len(dead)} gate rows: {dead[0][1]}")
    cols = [c for c in ref.column_names if c.startswith("p_")]
    p_ref, p_cand = np.array(ref.select(cols)), np.array(cand.select(cols))
    lab_ref, lab_cand = ref.column("label").to_pylist(), cand.column("label").to_pylist()
    diff = np.abs(p_ref - p_cand)
    figures = {
        "rows": len(texts),
        "agreement": float(np.mean([a == b for a, b in zip(lab_ref, lab_cand)])),
        "max_abs_diff": float(diff.max()),
        "mean_abs_diff": float(diff.mean()),
    }
    if gold:
        f1_ref = report(gold, lab_ref, labels_order)["macro_f1"]
        q = quality(gold, p_cand, labels_order)
        figures |= {
            "macro_f1_reference": f1_ref,
            "macro_f1_candidate": q["macro_f1"],
            "f1_drop": f1_ref - q["macro_f1"],
            "quality": q,
        }
    return figures


def verdict(
    figures: dict,
    min_agreement: float,
    max_f1_drop: float,
    max_abs_diff: float | None,
    min_macro_f1: float | None = None,
) -> tuple[bool, str]:
    reasons = []
    if min_macro_f1 is not None:
        if "macro_f1_candidate" not in figures:
            reasons.append("--min-macro-f1 needs a labelled gate sample")
        elif figures["macro_f1_candidate"] < min_macro_f1:
            reasons.append(f"macro-F1 {figures['macro_f1_candidate']:.4f} < floor {min_macro_f1}")
    if figures["agreement"] < min_agreement:
        reasons.append(f"agreement {figures['agreement']:.4f} < {min_agreement}")
    if "f1_drop" in figures and figures["f1_drop"] > max_f1_drop:
        reasons.append(f"macro-F1 drop {figures['f1_drop']:.4f} > {max_f1_drop}")
    if max_abs_diff is not None and figures["max_abs_diff"] > max_abs_diff:
        reasons.append(f"max |p diff| {figures['max_abs_diff']:.2e} > {max_abs_diff}")
    return (not reasons), ("pass" if not reasons else "refused: " + "; ".join(reasons))
