import json
import os

import numpy as np
import pyarrow.parquet as pq

from emopulse import data
from emopulse.core.predictor import predict_probs
from emopulse.core.schema import LABELS
from emopulse.evaluate import EvaluateArgs, run


def test_evaluate_matches_sklearn_metrics(tiny_model, tmp_path):
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    t = pq.read_table(data.path(data.LABELLED)).slice(0, 600)
    first = {}
    for i, x in enumerate(t.column("text").to_pylist()):
        first.setdefault(x, i)
    t = t.take(sorted(first.values())[:400])  # evaluate drops duplicate texts (and reports them)
    path = str(tmp_path / "gold.parquet")
    pq.write_table(t, path)
    rep = run(EvaluateArgs(data=path, output=str(tmp_path / "ev"), model=tiny_model, max_length=64))
    gold = t.column("label").to_pylist()
    probs, labels = predict_probs(tiny_model, t.column("text").to_pylist(), 64)
    pred = [labels[i] for i in probs.argmax(1)]
    assert len(set(pred)) > 1  # the tiny model is not constant
    assert rep["accuracy"] == accuracy_score(gold, pred)
    assert abs(rep["macro_f1"] - f1_score(gold, pred, average="macro", labels=list(LABELS), zero_division=0)) < 1e-12
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=list(LABELS), zero_division=0)
    for i, lab in enumerate(LABELS):
        assert abs(rep["per_class_precision"][lab] - p[i]) < 1e-12
        assert abs(rep["per_class_accuracy"][lab] - r[i]) < 1e-12
        assert abs(rep["per_class_f1"][lab] - f[i]) < 1e-12
    assert rep["confusion"] == confusion_matrix(gold, pred, labels=list(LABELS)).tolist()
    conf = probs.max(1)
    correct = probs.argmax(1) == np.array([labels.index(g) for g in gold])
    edges, want = np.linspace(0, 1, 16), 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            want += m.mean() * abs(correct[m].mean() - conf[m].mean())
    assert abs(rep["ece"] - want) < 1e-6
    for f in ("metrics.json", "metrics.md", "confusion.png", "reliability.png"):
        assert os.path.getsize(tmp_path / "ev" / f) > 0
    assert json.load(open(tmp_path / "ev" / "metrics.json"))["n"] == 400


def test_rows_left_out_are_said_on_stdout(tiny_model, tmp_path, capsys):
    import pyarrow as pa

    from emopulse.cli import main

    t = pa.table(
        {
            "text": ["좋아요", "싫어요", "\u200b", "그냥", "좋아요", "화나"],
            "label": ["happiness", "anger", "neutral", "joy", "happiness", "anger"],
        }
    )
    pq.write_table(t, tmp_path / "gold.parquet")
    assert (
        main(
            [
                "evaluate",
                "--input",
                str(tmp_path / "gold.parquet"),
                "--output",
                str(tmp_path / "ev"),
                "--model",
                tiny_model,
                "--max-length",
                "64",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "rows left out: 1 empty, 1 unknown label, 1 duplicates (unknown labels: joy)" in out
