"""Classification metrics in plain numpy (no scikit-learn needed where they are used)."""
from __future__ import annotations

import numpy as np


def confusion(gold, pred, labels) -> np.ndarray:
    """Rows: gold label, columns: predicted label, in the order of `labels`."""
    index = {lab: i for i, lab in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for g, p in zip(gold, pred):
        if g in index and p in index:
            m[index[g], index[p]] += 1
    return m


def report(gold, pred, labels) -> dict:
    """accuracy, macro-F1, per-class F1 and accuracy (recall, as the seed reports), Cohen's kappa."""
    m = confusion(gold, pred, labels)
    n = m.sum()
    tp = np.diag(m).astype(float)
    support, predicted = m.sum(1).astype(float), m.sum(0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, tp / support, 0.0)
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    present = support > 0
    acc = float(tp.sum() / n) if n else 0.0
    expected = float((support * predicted).sum() / n**2) if n else 0.0
    kappa = (acc - expected) / (1 - expected) if expected < 1 else 0.0
    return {
        "n": int(n), "accuracy": acc,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "kappa": float(kappa),
        "per_class_f1": {lab: float(v) for lab, v in zip(labels, f1)},
        "per_class_accuracy": {lab: float(v) for lab, v in zip(labels, recall)},
        "confusion": m.tolist(), "labels": list(labels),
    }
