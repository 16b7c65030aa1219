"""Kill -9 in the middle of a run, resume, and get every row exactly once, identical."""

import json
import os
import signal
import subprocess
import time

import numpy as np
import pyarrow.parquet as pq

from emopulse.core.schema import LABELS, prob_cols

from ..conftest import comments
from .helpers import parts_done, read_output, serve, serve_cmd


def test_sigkill_then_resume_is_exactly_once_and_identical(tiny_onnx, tmp_path):
    inp = str(tmp_path / "in.parquet")
    pq.write_table(comments(6000, offset=30000), inp, row_group_size=1000)
    ref = tmp_path / "ref"
    serve(tiny_onnx, [inp], ref, rows_per_part=150, max_batch_tokens=256, id_col="id")

    out = tmp_path / "out"
    for wait_parts in (3, 15):  # kill twice, at different depths
        proc = subprocess.Popen(
            serve_cmd(tiny_onnx, inp, out, "--resume", rows_per_part=150), stderr=subprocess.DEVNULL
        )
        deadline = time.time() + 120
        while parts_done(out) < wait_parts and proc.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done_before = parts_done(out)
    assert 0 < done_before < 40, "the kill should land mid-run"
    subprocess.run(serve_cmd(tiny_onnx, inp, out, "--resume", rows_per_part=150), check=True, capture_output=True)
    summary = json.load(open(out / "_summary.json"))
    assert summary["parts_skipped"] == done_before and summary["parts_written"] == 40 - done_before

    a, b = read_output(ref), read_output(out)
    assert b.num_rows == 6000
    assert b.column("id").to_pylist() == pq.read_table(inp).column("id").to_pylist()
    assert a.column("label").equals(b.column("label"))
    np.testing.assert_array_equal(np.array(a.select(prob_cols(LABELS))), np.array(b.select(prob_cols(LABELS))))
    assert not [f for f in os.listdir(out) if f.endswith(".tmp") or ".parquet." in f]
