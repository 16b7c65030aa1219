"""Object-storage failures are one line with exit 15 (endpoint, credentials) or 11 (a missing bucket),
naming what failed; never a traceback, never exit 1 (issue 22). Against a live moto server."""

import os
import socket
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from .test_object_storage import MOTO, _free_port

pytestmark = pytest.mark.skipif(not os.path.exists(MOTO), reason="moto[server] is not installed (test extra)")


@pytest.fixture(scope="module")
def moto_auth():
    """A moto server that checks credentials (INITIAL_NO_AUTH_ACTION_COUNT=0) holding s3://bkt/in/a.parquet."""
    port = _free_port()
    proc = subprocess.Popen(
        [MOTO, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="0"),
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def _serve(endpoint, inp, out, **env):
    e = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(sys.path),
        AWS_ENDPOINT_URL=endpoint,
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
    )
    e.update(env)
    return subprocess.run(
        [sys.executable, "-m", "emopulse", "serve-batch", "--input", inp, "--output", str(out), "--no-progress"],
        capture_output=True,
        text=True,
        env=e,
        timeout=300,
    )


def test_an_unreachable_endpoint_is_one_line_exit_15_and_says_resume(tmp_path):
    port = _free_port()  # nothing listens there
    r = _serve(f"http://127.0.0.1:{port}", "s3://bkt/in/", tmp_path / "o")
    assert r.returncode == 15 and r.stderr.count("\n") == 1, r.stderr
    assert f"endpoint http://127.0.0.1:{port} cannot be reached" in r.stderr and "--resume" in r.stderr


def test_refused_and_empty_credentials_and_a_missing_bucket(moto_auth, tmp_path):
    r = _serve(moto_auth, "s3://bkt/in/", tmp_path / "o", AWS_ACCESS_KEY_ID="wrong", AWS_SECRET_ACCESS_KEY="wrong")
    assert r.returncode == 15 and r.stderr.count("\n") == 1 and "refused the credentials" in r.stderr, r.stderr
    r = _serve(moto_auth, "s3://bkt/in/", tmp_path / "o", AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="")
    assert r.returncode == 15 and r.stderr.count("\n") == 1 and "empty credentials" in r.stderr, r.stderr


def test_a_missing_bucket_is_named(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [MOTO, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        fs = pafs.S3FileSystem(
            endpoint_override=f"127.0.0.1:{port}",
            scheme="http",
            allow_bucket_creation=True,
            access_key="test",
            secret_key="test",
            region="us-east-1",
        )
        fs.create_dir("bkt")
        pq.write_table(pa.table({"text": ["좋아요"]}), "bkt/in/a.parquet", filesystem=fs)
        for inp in ("s3://nobucket/in/", "s3://nobucket/in/a.parquet"):
            r = _serve(f"http://127.0.0.1:{port}", inp, tmp_path / "o")
            assert r.returncode == 11 and "bucket 'nobucket' does not exist" in r.stderr, r.stderr
    finally:
        proc.terminate()
        proc.wait(10)


def _moto(port):
    proc = subprocess.Popen(
        [MOTO, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc


def test_an_endpoint_that_dies_mid_run_then_resume_is_exact(tiny_onnx, tmp_path):
    from ..conftest import comments
    from .helpers import parts_done, read_output, serve

    port = _free_port()
    data = str(tmp_path / "a.parquet")
    pq.write_table(comments(3000, offset=9000), data, row_group_size=100)

    def up():
        proc = _moto(port)
        fs = pafs.S3FileSystem(
            endpoint_override=f"127.0.0.1:{port}",
            scheme="http",
            allow_bucket_creation=True,
            access_key="test",
            secret_key="test",
            region="us-east-1",
        )
        fs.create_dir("bkt")
        with open(data, "rb") as src, fs.open_output_stream("bkt/in/a.parquet") as dst:
            dst.write(src.read())  # the same bytes each time: the same input fingerprint
        return proc

    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(sys.path),
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
    )
    out = tmp_path / "o"
    cmd = [
        sys.executable,
        "-m",
        "emopulse",
        "serve-batch",
        "--model",
        tiny_onnx,
        "--input",
        "s3://bkt/in/",
        "--output",
        str(out),
        "--rows-per-part",
        "100",
        "--max-batch-tokens",
        "256",
        "--no-progress",
    ]
    moto = up()
    try:
        run = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.time() + 240
        while run.poll() is None and parts_done(out) < 3 and time.time() < deadline:
            time.sleep(0.05)
        moto.terminate()
        moto.wait(10)
        err = run.communicate(timeout=300)[1]
        assert run.returncode == 15, err[-2000:]
        errors = [ln for ln in err.splitlines() if " INFO " not in ln and " WARNING " not in ln]
        assert len(errors) == 1 and "cannot be reached" in errors[0] and "--resume" in errors[0]
        moto = up()
        r = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, env=env, timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
    finally:
        moto.terminate()
        moto.wait(10)
    ref = serve(tiny_onnx, [data], tmp_path / "ref", rows_per_part=100, max_batch_tokens=256)
    assert ref["totals"]["rows"] == 3000
    got, want = read_output(out), read_output(tmp_path / "ref")
    assert got.column("id").to_pylist() == want.column("id").to_pylist()
    assert got.select(["label", "p_anger"]).equals(want.select(["label", "p_anger"]))
