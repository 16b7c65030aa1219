"""calibrate: the head is fit on validation, written beside the model, carried into the bundle and
served by every engine (local torch, local ONNX bundle, Ray) identically."""

import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emopulse import data
from emopulse.core.head import HEAD_JSON
from emopulse.core.ngram import NGRAM_WEIGHTS
from emopulse.core.predictor import predict_probs
from emopulse.core.schema import LABELS, prob_cols
from emopulse.train.ensemble import CalibrateArgs, run

from ..serve_batch.helpers import read_output, serve


@pytest.fixture(scope="module")
def calibrated(tiny_model, tmp_path_factory):
    root = tmp_path_factory.mktemp("cal")
    t = pq.read_table(data.path(data.LABELLED))
    pq.write_table(t.slice(0, 4000), root / "train.parquet")
    pq.write_table(t.slice(4000, 600), root / "dev.parquet")
    out = str(root / "ckpt")
    res = run(
        CalibrateArgs(
            model=tiny_model,
            data=str(root / "train.parquet"),
            eval=str(root / "dev.parquet"),
            output=out,
            bias=True,
            max_length=64,
        )
    )
    return root, out, res


def test_head_is_fit_on_validation_and_improves_log_loss(calibrated):
    root, out, res = calibrated
    steps = res["steps"]
    # the tiny random encoder is poor: the n-gram member must carry weight and lower the loss
    assert steps["ensemble"]["ngram_weight"] > 0.3
    assert steps["ensemble"]["nll"] < steps["encoder"]["nll"]
    assert steps["temperature"]["nll"] <= steps["ensemble"]["nll"] + 1e-9
    assert steps["bias"]["macro_f1"] >= steps["temperature"]["macro_f1"]
    assert os.path.exists(os.path.join(out, HEAD_JSON)) and os.path.exists(os.path.join(out, NGRAM_WEIGHTS))
    assert json.load(open(os.path.join(out, HEAD_JSON)))["fitted_on"]["rows"] > 500


def test_every_engine_serves_the_head(calibrated, tiny_model, tmp_path):
    from emopulse.export import ExportArgs
    from emopulse.export import run as export

    root, ckpt, res = calibrated
    texts = pq.read_table(root / "dev.parquet").column("text").to_pylist()[:200]
    inp = str(tmp_path / "in.parquet")
    pq.write_table(pa.table({"text": texts}), inp)
    raw, _ = predict_probs(tiny_model, texts, 64)
    served, _ = predict_probs(ckpt, texts, 64)
    assert np.abs(raw - served).max() > 0.05  # the head changes what is served
    bundle = str(tmp_path / "bundle")
    m = export(
        ExportArgs(
            model=ckpt,
            output=bundle,
            precision="fp32",
            calibration=str(root / "dev.parquet"),
            max_length=64,
            min_macro_f1=0.2,
        )
    )
    assert os.path.exists(os.path.join(bundle, HEAD_JSON)) and "quality" in m["gate"]
    serve(bundle, [inp], tmp_path / "local", max_length=64)
    serve(bundle, [inp], tmp_path / "ray", max_length=64, engine="ray", workers=1)
    a, b = read_output(tmp_path / "local"), read_output(tmp_path / "ray")
    pa_, pb = np.array(a.select(prob_cols(LABELS))), np.array(b.select(prob_cols(LABELS)))
    np.testing.assert_allclose(pa_, served, atol=1e-4)
    np.testing.assert_array_equal(pa_, pb)


def test_export_floor_refuses_a_random_model(tiny_model, calibrated, tmp_path):
    from emopulse.export import ExportArgs
    from emopulse.export import run as export
    from emopulse.export.run import GateRefused

    root = calibrated[0]
    with pytest.raises(GateRefused, match="floor"):
        export(
            ExportArgs(
                model=tiny_model,
                output=str(tmp_path / "b"),
                precision="fp32",
                calibration=str(root / "dev.parquet"),
                max_length=64,
                min_macro_f1=0.6,
            )
        )


def test_confident_rows_caps_each_class_keeping_the_most_confident(tmp_path):
    """Further transfer's teacher rows: the per-class cap keeps the most confident rows of each predicted
    label (rare classes are not drowned), drops held-out texts, repeats and rows under the threshold."""
    from emopulse.train.ensemble import confident_rows

    rows = [  # text, p_anger, p_sadness, p_happiness, p_neutral
        ("a1", 0.95, 0.02, 0.02, 0.01),
        ("a2", 0.99, 0.0, 0.0, 0.01),
        ("a3", 0.97, 0.01, 0.01, 0.01),
        ("s1", 0.05, 0.91, 0.02, 0.02),
        ("n1", 0.0, 0.0, 0.05, 0.95),
        ("n1", 0.0, 0.0, 0.05, 0.95),  # a repeat
        ("held", 0.0, 0.0, 0.99, 0.01),  # in the dev split
        ("low", 0.6, 0.2, 0.1, 0.1),  # under the threshold
    ]
    cols = {"text": [r[0] for r in rows]} | {c: [r[i + 1] for r in rows] for i, c in enumerate(prob_cols(LABELS))}
    pq.write_table(pa.table(cols), tmp_path / "pred.parquet")
    texts, labels = confident_rows(str(tmp_path / "pred.parquet"), list(LABELS), 0.9, {"held"}, per_class=2)
    assert texts == ["a2", "a3", "s1", "n1"]  # a1 is the least confident anger row; file order kept
    assert labels == ["anger", "anger", "sadness", "neutral"]
    texts, _ = confident_rows(str(tmp_path / "pred.parquet"), list(LABELS), 0.9, set())
    assert texts == ["a1", "a2", "a3", "s1", "n1", "held"]
