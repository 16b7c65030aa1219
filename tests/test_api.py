import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

from emopulse import Classifier
from emopulse.core.schema import LABELS, prob_cols

from .serve_batch.helpers import read_output, serve


def test_classifier_equals_serve_batch_for_lists_and_tables(tiny_bundle, tmp_path):
    import pyarrow.parquet as pq

    texts = ["정말 최고예요", "너무 화가 난다", "", None, "정말 최고예요", "그냥 그래요"]
    pq.write_table(pa.table({"id": [str(i) for i in range(6)], "text": texts}), tmp_path / "in.parquet")
    serve(tiny_bundle, [str(tmp_path / "in.parquet")], tmp_path / "o", id_col="id")
    want = read_output(tmp_path / "o")
    clf = Classifier(tiny_bundle)
    got = clf.predict(texts)
    assert got.column("label").to_pylist() == want.column("label").to_pylist()
    np.testing.assert_array_equal(np.array(got.select(prob_cols(LABELS))), np.array(want.select(prob_cols(LABELS))))
    frame = {"id": list(range(6)), "text": texts}
    for data in (pa.table(frame), pl.DataFrame(frame), pd.DataFrame(frame)):
        out = clf.predict(data)
        assert type(out) is type(data)  # the caller's type back
        out = out if isinstance(out, pa.Table) else pa.table(out) if isinstance(out, pd.DataFrame) else out.to_arrow()
        assert out.column_names[:2] == ["id", "text"] and out.column("status").to_pylist()[2:4] == ["empty", "null"]
        assert out.column("label").to_pylist() == want.column("label").to_pylist()
    assert isinstance(clf(pd.DataFrame(frame)), pd.DataFrame)  # map_batches with pandas batches


def test_stage_functions_take_the_cli_dataclasses_and_give_the_cli_table(tiny_bundle, tmp_path):
    import subprocess
    import sys

    import pyarrow.parquet as pq

    import emopulse
    from emopulse.serve_batch import ServeBatchArgs

    texts = ["정말 최고예요", "너무 화가 난다", "그냥 그래요"] * 40
    pq.write_table(pa.table({"id": [str(i) for i in range(120)], "text": texts}), tmp_path / "in.parquet")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "emopulse",
            "serve-batch",
            "--model",
            tiny_bundle,
            "--input",
            str(tmp_path / "in.parquet"),
            "--output",
            str(tmp_path / "cli"),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    s = emopulse.serve_batch(model=tiny_bundle, inputs=[str(tmp_path / "in.parquet")], output=str(tmp_path / "kw"))
    assert s["totals"]["rows"] == 120
    emopulse.serve_batch(
        ServeBatchArgs(model=tiny_bundle, inputs=[str(tmp_path / "in.parquet")], output=str(tmp_path / "dc"))
    )
    cli = read_output(tmp_path / "cli")
    assert read_output(tmp_path / "kw").equals(cli) and read_output(tmp_path / "dc").equals(cli)
    import pytest

    with pytest.raises(TypeError):
        emopulse.serve_batch({"model": tiny_bundle})


def test_heartbeat_lines_when_stderr_is_a_pipe(tiny_bundle, tmp_path):
    import json
    import subprocess
    import sys

    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": [f"정말 최고예요 {i}" for i in range(3000)]}), tmp_path / "in.parquet")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "emopulse",
            "serve-batch",
            "--model",
            tiny_bundle,
            "--input",
            str(tmp_path / "in.parquet"),
            "--output",
            str(tmp_path / "o"),
            "--heartbeat",
            "0.05",
            "--rows-per-part",
            "200",
            "--log-format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    beats = [json.loads(ln) for ln in r.stderr.splitlines() if '"eta_s"' in ln]
    assert beats, r.stderr[-1000:]
    assert all(b["stage"] == "serve-batch" and 0 <= b["done"] <= b["total"] == 3000 for b in beats)
