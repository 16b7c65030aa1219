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
    proc = subprocess.Popen([MOTO, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="0"))
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
    e = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), AWS_ENDPOINT_URL=endpoint, AWS_REGION="us-east-1",
             AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    e.update(env)
    return subprocess.run([sys.executable, "-m", "emopulse", "serve-batch", "--input", inp, "--output", str(out),
                           "--no-progress"], capture_output=True, text=True, env=e, timeout=300)


def test_an_unreachable_endpoint_is_one_line_exit_15_and_says_resume(tmp_path):
    port = _free_port()          # nothing listens there
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
    proc = subprocess.Popen([MOTO, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        fs = pafs.S3FileSystem(endpoint_override=f"127.0.0.1:{port}", scheme="http", allow_bucket_creation=True,
                               access_key="test", secret_key="test", region="us-east-1")
        fs.create_dir("bkt")
        pq.write_table(pa.table({"text": ["좋아요"]}), "bkt/in/a.parquet", filesystem=fs)
        for inp in ("s3://nobucket/in/", "s3://nobucket/in/a.parquet"):
            r = _serve(f"http://127.0.0.1:{port}", inp, tmp_path / "o")
            assert r.returncode == 11 and "bucket 'nobucket' does not exist" in r.stderr, r.stderr
    finally:
        proc.terminate()
        proc.wait(10)
