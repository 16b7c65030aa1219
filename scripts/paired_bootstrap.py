"""Paired bootstrap (2,000 resamples of the rows, seed 0) of the macro-F1 and log-loss difference of
two models on one labelled split.

  python scripts/paired_bootstrap.py OLD_MODEL NEW_MODEL [--data runs/recipe/split/test.parquet]

OLD_MODEL / NEW_MODEL: bundles or checkpoints (the previous default from git:
`git archive REV src/emopulse/model | tar -x -C /tmp/old`). Prints both figures, the difference with
its 95 % interval, and the share of resamples where NEW is not better.
"""

import argparse

import numpy as np
import pyarrow.parquet as pq

from emopulse.core.predictor import predict_probs
from emopulse.core.schema import LABELS


def macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    f1 = []
    for c in range(len(LABELS)):
        tp, fp, fn = (
            ((pred == c) & (gold == c)).sum(),
            ((pred == c) & (gold != c)).sum(),
            ((pred != c) & (gold == c)).sum(),
        )
        f1.append(2 * tp / max(1, 2 * tp + fp + fn))
    return float(np.mean(f1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--data", default="runs/recipe/split/test.parquet")
    args = ap.parse_args()
    t = pq.read_table(args.data)
    texts = t.column("text").to_pylist()
    gold = np.array([LABELS.index(lab) for lab in t.column("label").to_pylist()])
    probs = [predict_probs(m, texts, 128)[0] for m in (args.old, args.new)]
    pred = [p.argmax(1) for p in probs]
    nll = [-np.log(p[np.arange(len(gold)), gold]) for p in probs]
    rng = np.random.default_rng(0)
    d_f1, d_nll = [], []
    for _ in range(2000):
        i = rng.integers(0, len(gold), len(gold))
        d_f1.append(macro_f1(gold[i], pred[1][i]) - macro_f1(gold[i], pred[0][i]))
        d_nll.append(nll[1][i].mean() - nll[0][i].mean())
    old, new = macro_f1(gold, pred[0]), macro_f1(gold, pred[1])
    lo, hi = np.percentile(d_f1, [2.5, 97.5])
    print(f"macro-F1 old {old:.4f} new {new:.4f} diff {new - old:+.4f} [{lo:+.4f}, {hi:+.4f}]", end=" ")
    print(f"P(new not better) {np.mean(np.array(d_f1) <= 0):.3f}")
    lo, hi = np.percentile(d_nll, [2.5, 97.5])
    print(f"log-loss old {nll[0].mean():.4f} new {nll[1].mean():.4f} diff [{lo:+.4f}, {hi:+.4f}]")


if __name__ == "__main__":
    main()
