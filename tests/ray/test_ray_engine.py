"""The Ray engine on a local Ray (2 CPUs) against the local engine."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

from emopulse.core.errors import InputError
from emopulse.core.parts import load_run
from emopulse.core.schema import LABELS, prob_cols

from ..conftest import comments
from ..serve_batch.helpers import read_output, serve

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield
    ray.shutdown()


@pytest.fixture
def two_files(tmp_path):
    pq.write_table(comments(900, offset=40000), tmp_path / "a.parquet", row_group_size=250)
    pq.write_table(comments(500, offset=50000).drop(["id"]), tmp_path / "b.parquet")
    return [str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")]


def test_ray_equals_local(local_ray, tiny_onnx, two_files, tmp_path):
    kw = dict(keep_cols=["date"], rows_per_part=300)  # the default: "id" where a file has it
    local = serve(tiny_onnx, two_files, tmp_path / "local", **kw)
    s = serve(tiny_onnx, two_files, tmp_path / "ray", engine="ray", workers=2, **kw)
    a, b = read_output(tmp_path / "local"), read_output(tmp_path / "ray")
    assert s["this_invocation"]["engine"] == "ray" and s["totals"]["rows"] == 1400 == b.num_rows
    assert set(s) == set(local) and s["totals"] | {"seconds_total": 0} == local["totals"] | {"seconds_total": 0}
    assert a.column("id").to_pylist() == b.column("id").to_pylist()  # b.parquet has no ids: "<file>:<row>"
    assert b.column("id").to_pylist()[900] == "b.parquet:0"
    assert a.column("label").equals(b.column("label")) and a.column("date").equals(b.column("date"))
    np.testing.assert_allclose(
        np.array(a.select(prob_cols(LABELS))), np.array(b.select(prob_cols(LABELS))), atol=1e-5, equal_nan=True
    )


def test_bad_file_is_reported_as_in_the_local_engine(local_ray, tiny_onnx, two_files, tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="bad.parquet"):
        serve(tiny_onnx, two_files + [str(bad)], tmp_path / "o", engine="ray")
    s = serve(tiny_onnx, two_files + [str(bad)], tmp_path / "o2", engine="ray", skip_bad_files=True)
    assert str(bad) in s["this_invocation"]["bad_files"] and s["totals"]["rows"] == 1400


DRIVER = [
    sys.executable,
    "-m",
    "emopulse",
    "serve-batch",
    "--engine",
    "ray",
    "--workers",
    "1",
    "--rows-per-part",
    "100",
    "--max-batch-tokens",
    "128",
    "--no-progress",
    "--resume",
]


@pytest.mark.parametrize("kill_after", [1, 2, 5])
def test_driver_killed_then_resumed_is_exactly_once(tiny_onnx, two_files, tmp_path, kill_after):
    out = tmp_path / "out"
    cmd = DRIVER + ["--model", tiny_onnx, "--input", *two_files, "--output", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 180
    done = 0
    while time.time() < deadline and proc.poll() is None:
        try:
            done = len(load_run(str(out)).parts)
        except (AttributeError, OSError, ValueError):  # no manifest yet
            pass
        if done >= kill_after:
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and the local Ray it started
    proc.wait()
    done = len(load_run(str(out)).parts)
    assert 0 < done < 14
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    t = read_output(out)
    ids = pq.read_table(two_files[0]).column("id").to_pylist() + [f"b.parquet:{i}" for i in range(500)]
    assert t.num_rows == 1400 and t.column("id").to_pylist() == ids
    s = json.load(open(out / "_summary.json"))
    assert s["this_invocation"]["parts_skipped"] >= done and s["totals"]["rows"] == 1400
    assert s["totals"]["parts_done"] == s["totals"]["parts_planned"] == 14
    assert (
        sum(s["totals"][k] for k in ("ok", "null", "empty", "failed")) == 1400
    )  # statuses of the killed run's parts too
    assert os.path.exists(out / "_SUCCESS")
