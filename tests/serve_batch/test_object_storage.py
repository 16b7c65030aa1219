"""Object storage (s3://) end to end against a real S3-compatible server started here on 127.0.0.1
(moto's `moto_server`): serve-batch (local and Ray engines), kill -9 + resume, index; and the
CSV / JSON Lines inputs, which take the same road as Parquet."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from emopulse.core import storage

from ..conftest import comments
from .helpers import read_output, serve, serve_cmd

MOTO = os.path.join(os.path.dirname(sys.executable), "moto_server")
pytestmark = pytest.mark.skipif(not os.path.exists(MOTO), reason="moto[server] is not installed (test extra)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    """A live S3 server; the AWS environment points at it (as a user's would at MinIO)."""
    port = _free_port()
    proc = subprocess.Popen(
        [MOTO, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    storage.configure({})
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        fs = pafs.S3FileSystem(endpoint_override=f"127.0.0.1:{port}", scheme="http", allow_bucket_creation=True)
        fs.create_dir("bkt")
        yield fs
    finally:
        proc.terminate()
        proc.wait(10)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        storage.configure({})


def _put(fs, table: pa.Table, key: str) -> str:
    pq.write_table(table, key, filesystem=fs, row_group_size=100)
    return f"s3://{key}"


def _s3_table(fs, prefix: str) -> pa.Table:
    files = sorted(i.path for i in fs.get_file_info(pafs.FileSelector(prefix)) if i.base_name.startswith("part-"))
    return pa.concat_tables([pq.read_table(f, filesystem=fs) for f in files])


def _rows(t: pa.Table) -> dict:
    probs = [c for c in t.column_names if c.startswith("p_")]
    return {
        i: (lab, tuple(round(float(t[c][k].as_py()), 6) for c in probs))
        for k, (i, lab) in enumerate(zip(t["id"].to_pylist(), t["label"].to_pylist()))
    }


def test_serve_batch_and_index_on_s3_equal_local(s3, tiny_onnx, tmp_path):
    t = comments(700, offset=1000)
    local = tmp_path / "in.parquet"
    pq.write_table(t, local)
    uri = _put(s3, t, "bkt/in/a/comments.parquet")
    _put(s3, t.slice(0, 5), "bkt/in/_hidden/skip.parquet")  # `_` names are skipped, as locally
    s = serve(tiny_onnx, ["s3://bkt/in/"], "s3://bkt/out/pred", rows_per_part=250, keep_cols=["date"])
    assert s["totals"]["rows"] == 700 and s["totals"]["complete"]
    names = {i.base_name for i in s3.get_file_info(pafs.FileSelector("bkt/out/pred"))}
    assert {"_SUCCESS", "_manifest.json", "_summary.json"} <= names
    assert not any(n.startswith(".") for n in names) and "_journal" not in names  # folded at the end
    serve(tiny_onnx, [str(local)], tmp_path / "pred", rows_per_part=250, keep_cols=["date"])
    remote, here = _s3_table(s3, "bkt/out/pred"), read_output(tmp_path / "pred")
    assert _rows(remote) == _rows(here)

    # a no-op resume verifies every part on S3 (size + sha256) and keeps them
    again = serve(tiny_onnx, [uri], "s3://bkt/out/pred", rows_per_part=250, keep_cols=["date"], resume=True)
    assert again["this_invocation"]["parts_repaired"] == [] and again["totals"]["rows"] == 700
    # a part altered in the bucket is found and recomputed
    s3.delete_file("bkt/out/pred/part-00000-000001.parquet")
    fixed = serve(tiny_onnx, [uri], "s3://bkt/out/pred", rows_per_part=250, keep_cols=["date"], resume=True)
    assert [r.split()[0] for r in fixed["this_invocation"]["parts_repaired"]] == ["part-00000-000001"]
    assert _rows(_s3_table(s3, "bkt/out/pred")) == _rows(here)

    from emopulse.index import IndexArgs
    from emopulse.index import run as index

    a = index(IndexArgs(inputs=["s3://bkt/out/pred"], output="s3://bkt/out/index", min_count=1, html=True))
    b = index(IndexArgs(inputs=[str(tmp_path / "pred")], output=str(tmp_path / "index"), min_count=1))
    assert a["rows"] == b["rows"] == 700 and a["periods"] == b["periods"]
    got = pq.read_table("bkt/out/index/index.parquet", filesystem=s3)
    want = pq.read_table(tmp_path / "index" / "index.parquet")
    assert np.allclose(
        got["index"].to_numpy(zero_copy_only=False), want["index"].to_numpy(zero_copy_only=False), equal_nan=True
    )
    assert s3.get_file_info("bkt/out/index/plotly.min.js").size > 1_000_000


def test_output_never_inside_the_input_prefix_on_s3(s3, tiny_onnx):
    from emopulse.core.errors import OutputError

    _put(s3, comments(50), "bkt/in2/c.parquet")
    with pytest.raises(OutputError, match="inside the input directory"):
        serve(tiny_onnx, ["s3://bkt/in2/"], "s3://bkt/in2/pred")


def test_kill_9_then_resume_on_s3_is_exactly_once(s3, tiny_onnx, tmp_path):
    t = comments(1200, offset=3000)
    uri = _put(s3, t, "bkt/kill/in/c.parquet")
    out = "s3://bkt/kill/out"
    cmd = serve_cmd(tiny_onnx, uri, out, rows_per_part=100)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        done = list(s3.get_file_info(pafs.FileSelector("bkt/kill/out/_journal", allow_not_found=True)))
        if len(done) >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed: " + proc.stderr.read().decode()[-500:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    r = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, env=os.environ.copy())
    assert r.returncode == 0, r.stderr
    got = _s3_table(s3, "bkt/kill/out")
    assert sorted(got["id"].to_pylist()) == sorted(t["id"].to_pylist())  # every row exactly once
    serve(tiny_onnx, [uri], tmp_path / "ref", rows_per_part=100, max_batch_tokens=256)
    assert _rows(got) == _rows(read_output(tmp_path / "ref"))
    summary = json.loads(s3.open_input_file("bkt/kill/out/_summary.json").read())
    assert summary["totals"]["complete"] and len(summary["invocations"]) == 1  # the killed one wrote none


def test_ray_engine_on_s3(s3, tiny_onnx):
    pytest.importorskip("ray")
    t = comments(600, offset=5000)
    uri = _put(s3, t, "bkt/ray/in/c.parquet")
    a = serve(tiny_onnx, [uri], "s3://bkt/ray/local", rows_per_part=200)
    b = serve(tiny_onnx, [uri], "s3://bkt/ray/ray", rows_per_part=200, engine="ray", workers=2)
    assert a["totals"]["rows"] == b["totals"]["rows"] == 600
    assert _rows(_s3_table(s3, "bkt/ray/local")) == _rows(_s3_table(s3, "bkt/ray/ray"))


def test_csv_and_jsonl_inputs_give_the_parquet_answers(tiny_onnx, tmp_path):
    t = comments(300, offset=7000).select(["text", "date"])
    t = t.append_column("id", pa.array([f"f{i}" for i in range(t.num_rows)]))
    pq.write_table(t, tmp_path / "c.parquet")
    pacsv.write_csv(t, tmp_path / "c.csv")
    with open(tmp_path / "c.jsonl", "w", encoding="utf-8") as f:
        for row in t.to_pylist():
            f.write(json.dumps({k: str(v) if k == "date" else v for k, v in row.items()}, ensure_ascii=False) + "\n")
    got = {}
    for ext in ("parquet", "csv", "jsonl"):
        s = serve(tiny_onnx, [str(tmp_path / f"c.{ext}")], tmp_path / f"o-{ext}", rows_per_part=120, keep_cols=["date"])
        assert s["totals"]["rows"] == 300
        got[ext] = read_output(tmp_path / f"o-{ext}")
    assert _rows(got["csv"]) == _rows(got["parquet"]) == _rows(got["jsonl"])
    # a directory in auto format takes all three kinds; --format narrows it
    (tmp_path / "mixed").mkdir()
    for ext in ("parquet", "csv", "jsonl"):
        shutil.copy(tmp_path / f"c.{ext}", tmp_path / "mixed" / f"c.{ext}")
    assert serve(tiny_onnx, [str(tmp_path / "mixed")], tmp_path / "o-mixed")["totals"]["rows"] == 900
    assert serve(tiny_onnx, [str(tmp_path / "mixed")], tmp_path / "o-csv-only", format="csv")["totals"]["rows"] == 300


def test_csv_column_whose_type_drifts_and_bad_csv(tiny_onnx, tmp_path, monkeypatch):
    from emopulse.core import reader
    from emopulse.core.errors import InputError

    monkeypatch.setattr(reader, "TEXT_BLOCK_BYTES", 4096)  # many blocks: the last one holds "many"
    rows = ["text,score"] + [f"좋아요 {i},{i}" for i in range(3000)] + ["싫어요,many"]
    (tmp_path / "drift.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    s = serve(tiny_onnx, [str(tmp_path / "drift.csv")], tmp_path / "o", keep_cols=["score"])
    assert s["totals"]["rows"] == 3001
    assert read_output(tmp_path / "o").schema.field("score").type in (pa.string(), pa.large_string())
    (tmp_path / "bad.csv").write_text('text,a\n"unterminated,1\n', encoding="utf-8")
    with pytest.raises(InputError, match="bad.csv"):
        serve(tiny_onnx, [str(tmp_path / "bad.csv")], tmp_path / "o2")
