"""serve-batch on inputs as real exports make them (issue 22), end to end."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .helpers import read_output, serve


def test_twenty_runs_on_a_failing_csv_all_exit_11(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text\n1,좋아요\n2,a,b\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))

    def once(i):
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "emopulse",
                "serve-batch",
                "--input",
                str(bad),
                "--output",
                str(tmp_path / f"o{i}"),
                "--no-progress",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        return r.returncode, r.stderr

    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(once, range(20)))
    assert [rc for rc, _ in got] == [11] * 20, [e for rc, e in got if rc != 11][:1]
    assert all(err.count("\n") == 1 and "bad.csv" in err and "Expected 2 columns" in err for _, err in got)


def test_na_words_bad_bytes_and_categorical_texts_are_classified(tiny_onnx, tmp_path):
    p = tmp_path / "in.csv"
    p.write_bytes(b"id,text\n001,NA\n002,#N/A\n003," + b"\xffbad" + "\n004,좋아요\n005,\n".encode())
    s = serve(tiny_onnx, [str(p)], tmp_path / "o")
    out = read_output(tmp_path / "o")
    assert out.column("id").to_pylist() == ["001", "002", "003", "004", "005"]
    assert out.column("status").to_pylist() == ["ok", "ok", "failed", "ok", "null"]
    assert s["totals"]["failed"] == 1 and s["totals"]["null"] == 1
    dead = ds.dataset(str(tmp_path / "o" / "_deadletter"), format="parquet").to_table()
    assert dead.column("id").to_pylist() == ["003"] and "invalid UTF-8" in dead.column("reason")[0].as_py()
    c = tmp_path / "cat.parquet"
    pd.DataFrame(
        {"id": ["a", "b", "c"], "text": pd.Series(["좋아요", "싫어요", "좋아요"], dtype="category")}
    ).to_parquet(c)
    serve(tiny_onnx, [str(c)], tmp_path / "oc")
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "text": ["좋아요", "싫어요", "좋아요"]}), plain)
    serve(tiny_onnx, [str(plain)], tmp_path / "op")
    a, b = read_output(tmp_path / "oc"), read_output(tmp_path / "op")
    assert a.column("status").to_pylist() == ["ok"] * 3
    assert a.select(["id", "label", "p_happiness"]).equals(b.select(["id", "label", "p_happiness"]))


def test_a_zero_row_input_is_a_complete_run(tiny_onnx, tmp_path):
    from emopulse.index import IndexArgs
    from emopulse.index import run as index

    p = tmp_path / "empty.parquet"
    pq.write_table(
        pa.table(
            {"id": pa.array([], pa.string()), "text": pa.array([], pa.string()), "date": pa.array([], pa.date32())}
        ),
        p,
    )
    s = serve(tiny_onnx, [str(p)], tmp_path / "o", keep_cols=["date"])
    assert s["totals"]["complete"] and (tmp_path / "o" / "_SUCCESS").exists()
    c = tmp_path / "empty.csv"
    c.write_text("id,text\n", encoding="utf-8")
    assert serve(tiny_onnx, [str(c)], tmp_path / "oc")["totals"]["complete"]
    assert index(IndexArgs(inputs=[str(tmp_path / "o")], output=str(tmp_path / "i")))["rows"] == 0


def test_a_model_whose_id2label_does_not_fit_fails_before_the_output_exists(tiny_bundle, tmp_path):
    import json
    import shutil

    import pytest

    from emopulse.core.errors import BundleError

    bad = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bad)
    cfg = json.loads((bad / "config.json").read_text())
    cfg["id2label"] = {str(i): lab for i, lab in enumerate(["anger", "sadness", "happiness"])}
    (bad / "config.json").write_text(json.dumps(cfg))
    inp = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["1"], "text": ["좋아요"]}), inp)
    with pytest.raises(BundleError, match="id2label names 3 classes .* returns 4"):
        serve(str(bad), [str(inp)], tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_overwrite_is_the_way_out_of_a_corrupt_manifest(tiny_onnx, tmp_path):
    import pytest

    from emopulse.core.errors import OutputError

    inp = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": [str(i) for i in range(30)], "text": ["좋아요"] * 30}), inp)
    serve(tiny_onnx, [str(inp)], tmp_path / "o", rows_per_part=10)
    (tmp_path / "o" / "_manifest.json").write_text("{garbage")
    for kw in ({}, {"resume": True}):
        with pytest.raises(OutputError, match="unreadable run manifest"):
            serve(tiny_onnx, [str(inp)], tmp_path / "o", rows_per_part=10, **kw)
    s = serve(tiny_onnx, [str(inp)], tmp_path / "o", rows_per_part=10, overwrite=True)
    assert s["totals"]["complete"] and read_output(tmp_path / "o").num_rows == 30
