import json
import os
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emopulse.core.errors import BundleError, InputError, OutputError
from emopulse.core.parts import OutputDir
from emopulse.core.schema import LABELS, prob_cols

from .helpers import read_output, reference_probs, serve


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_order_and_probabilities_match_transformers(backend, tiny_model, tiny_onnx, comments_file, tmp_path):
    model = tiny_onnx if backend == "onnx" else tiny_model
    summary = serve(
        model,
        [comments_file],
        tmp_path / "out",
        id_col="id",
        keep_cols=["date"],
        rows_per_part=128,
        max_batch_tokens=600,
    )
    out = read_output(tmp_path / "out").to_pandas()
    src = pq.read_table(comments_file).to_pandas()
    assert out["id"].tolist() == src["id"].tolist()  # input order restored
    assert out["date"].tolist() == src["date"].tolist()
    inv = summary["this_invocation"]
    assert summary["totals"]["rows"] == inv["rows"] == len(src) and inv["duplicates"] >= 1
    ok = out["status"] == "ok"
    ref = reference_probs(tiny_model, src.loc[ok, "text"].tolist(), max_length=inv["max_length"])
    got = out.loc[ok, prob_cols(LABELS)].to_numpy()
    np.testing.assert_allclose(got, ref, atol=1e-4)
    assert (out.loc[ok, "label"].to_numpy() == np.array(LABELS)[ref.argmax(1)]).all()
    assert inv["padded_token_ratio"] < 1.2


def test_bad_rows_are_kept_with_a_status(tiny_onnx, comments_file, tmp_path):
    serve(tiny_onnx, [comments_file], tmp_path / "out", max_length=16, id_col="")
    out = read_output(tmp_path / "out").to_pandas()
    assert out.loc[3, "status"] == "null" and out.loc[10, "status"] == "empty"
    assert out.loc[11, "status"] == "empty"
    assert out.loc[[3, 10, 11], "label"].isna().all()
    assert out.loc[[3, 10, 11], "p_anger"].isna().all()
    assert out["truncated"].sum() > 0
    assert out.loc[out["truncated"], "n_tokens"].eq(16).all()
    # generated ids are stable: file name and row number
    assert out.loc[0, "id"] == "comments.parquet:0" and out.loc[599, "id"] == "comments.parquet:599"


def test_kept_columns_missing_in_some_files_become_null(tiny_onnx, tmp_path):
    pq.write_table(pa.table({"text": ["좋아요", "별로"], "date": ["2020-01-01", "2020-01-02"]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"text": ["싫다"]}), tmp_path / "b.parquet")
    serve(tiny_onnx, [str(tmp_path / "*.parquet")], tmp_path / "out", keep_cols=["date"])
    out = read_output(tmp_path / "out").to_pandas()
    assert out["date"].tolist()[:2] == ["2020-01-01", "2020-01-02"] and out["date"].isna().tolist()[2]


def test_input_errors_come_before_any_output(tiny_onnx, tmp_path):
    pq.write_table(pa.table({"body": ["x"]}), tmp_path / "nobody.parquet")
    with pytest.raises(InputError, match=r"nobody\.parquet.*'text'"):
        serve(tiny_onnx, [str(tmp_path / "nobody.parquet")], tmp_path / "out")
    assert not os.path.exists(tmp_path / "out")


def test_bad_files_can_be_skipped_and_are_reported(tiny_onnx, comments_file, tmp_path):
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"not parquet at all")
    summary = serve(tiny_onnx, [comments_file, str(bad)], tmp_path / "out", skip_bad_files=True)
    assert str(bad) in summary["this_invocation"]["bad_files"]
    assert read_output(tmp_path / "out").num_rows == 600
    assert str(bad) in json.load(open(tmp_path / "out" / "_summary.json"))["this_invocation"]["bad_files"]


def test_rows_that_fail_go_to_dead_letter(tiny_onnx, comments_file, tmp_path):
    # A config that claims more positions than the graph has: long rows fail inside ORT.
    model = tmp_path / "lying"
    shutil.copytree(os.path.dirname(tiny_onnx), model)
    cfg = json.load(open(model / "config.json"))
    cfg["max_position_embeddings"] = 300
    json.dump(cfg, open(model / "config.json", "w"))
    summary = serve(str(model / "model.onnx"), [comments_file], tmp_path / "out", max_length=128)
    out = read_output(tmp_path / "out").to_pandas()
    failed = out[out["status"] == "failed"]
    assert len(failed) > 0 and summary["totals"]["failed"] == summary["this_invocation"]["failed"] == len(failed)
    assert (failed["n_tokens"] > 64).all() and failed["label"].isna().all()
    assert (out.loc[out["n_tokens"] <= 60, "status"] == "ok").all()
    dead = pq.read_table(tmp_path / "out" / "_deadletter").to_pandas()
    assert sorted(dead["id"]) == sorted(failed["id"]) and dead["reason"].str.len().gt(0).all()
    assert len(out) == 600


def test_model_errors(tiny_onnx, comments_file, tmp_path):
    with pytest.raises(BundleError, match="no manifest.json"):
        serve(os.path.dirname(tiny_onnx), [comments_file], tmp_path / "o1")
    with pytest.raises(BundleError, match="neither"):
        serve(str(tmp_path), [comments_file], tmp_path / "o2")


def test_output_dir_rules(tiny_onnx, tiny_model, comments_file, tmp_path):
    out = tmp_path / "out"
    serve(tiny_onnx, [comments_file], out)
    with pytest.raises(OutputError, match="--resume"):
        serve(tiny_onnx, [comments_file], out)
    with pytest.raises(OutputError, match="another model, input or settings"):
        serve(tiny_onnx, [comments_file], out, resume=True, max_length=20)
    summary = serve(tiny_onnx, [comments_file], out, resume=True)
    assert summary["this_invocation"]["parts_written"] == 0 and summary["this_invocation"]["parts_skipped"] == 1
    # another run holds the lock
    with OutputDir(str(out), {}, overwrite=True), pytest.raises(OutputError, match="another run"):
        serve(tiny_onnx, [comments_file], out, overwrite=True)


def test_two_workers_equal_one(tiny_onnx, comments_file, tmp_path):
    serve(tiny_onnx, [comments_file], tmp_path / "w1", rows_per_part=200, max_batch_tokens=500)
    serve(tiny_onnx, [comments_file], tmp_path / "w2", rows_per_part=200, max_batch_tokens=500, workers=2)
    a, b = read_output(tmp_path / "w1"), read_output(tmp_path / "w2")
    assert a.column("id").equals(b.column("id")) and a.column("label").equals(b.column("label"))
    np.testing.assert_allclose(np.array(a.select(prob_cols(LABELS))), np.array(b.select(prob_cols(LABELS))), atol=1e-6)
