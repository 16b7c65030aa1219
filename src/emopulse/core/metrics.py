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
        "n": int(n),
        "accuracy": acc,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "kappa": float(kappa),
        "per_class_f1": {lab: float(v) for lab, v in zip(labels, f1)},
        "per_class_precision": {lab: float(v) for lab, v in zip(labels, precision)},
        "per_class_support": {lab: int(v) for lab, v in zip(labels, support)},
        "per_class_accuracy": {lab: float(v) for lab, v in zip(labels, recall)},
        "confusion": m.tolist(),
        "labels": list(labels),
    }


def reliability(probs: np.ndarray, gold_idx: np.ndarray, bins: int = 15) -> list[dict]:
    """Top-class confidence vs accuracy in equal-width bins (the reliability diagram's data)."""
    conf, pred = probs.max(1), probs.argmax(1)
    out = []
    edges = np.linspace(0, 1, bins + 1)
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            out.append(
                {
                    "lo": float(lo),
                    "hi": float(hi),
                    "n": int(m.sum()),
                    "confidence": float(conf[m].mean()),
                    "accuracy": float((pred[m] == gold_idx[m]).mean()),
                }
            )
    return out


def ece(probs: np.ndarray, gold_idx: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of the top-class probability (equal-width bins)."""
    n = len(gold_idx)
    return (
        float(sum(b["n"] / n * abs(b["accuracy"] - b["confidence"]) for b in reliability(probs, gold_idx, bins)))
        if n
        else 0.0
    )


def quality(gold, probs: np.ndarray, labels) -> dict:
    """report() of the argmax plus calibration: ECE, log-loss, Brier score, reliability bins."""
    labels = list(labels)
    index = {lab: i for i, lab in enumerate(labels)}
    keep = [i for i, g in enumerate(gold) if g in index and np.isfinite(probs[i]).all()]
    g = np.asarray([index[gold[i]] for i in keep], dtype=np.int64)
    p = np.asarray(probs, dtype=np.float64)[keep]
    r = report([labels[i] for i in g], [labels[i] for i in p.argmax(1)] if len(p) else [], labels)
    if len(g):
        onehot = np.eye(len(labels))[g]
        r |= {
            "ece": ece(p, g),
            "nll": float(-np.log(np.clip(p[np.arange(len(g)), g], 1e-12, None)).mean()),
            "brier": float(((p - onehot) ** 2).sum(1).mean()),
            "reliability": reliability(p, g),
        }
    r["rows_skipped"] = len(gold) - len(keep)
    return r
