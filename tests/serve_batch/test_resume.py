"""Kill -9 in the middle of a run, resume, and get every row exactly once, identical."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow.parquet as pq

from emopulse.core.errors import OutputError
from emopulse.core.parts import load_run
from emopulse.core.schema import LABELS, prob_cols

from ..conftest import comments
from .helpers import read_output, serve

ARGS = ["--rows-per-part", "150", "--max-batch-tokens", "256", "--id-col", "id", "--no-progress"]


def _cli(model, inp, out, *extra):
    return [sys.executable, "-m", "emopulse", "serve-batch", "--model", model, "--input", inp,
            "--output", str(out), *ARGS, *extra]


def _finished(out) -> int:
    try:
        m = load_run(str(out))
    except OutputError:
        return 0  # caught between a manifest's write and rename
    return len(m.parts) if m else 0


def test_sigkill_then_resume_is_exactly_once_and_identical(tiny_onnx, tmp_path):
    inp = str(tmp_path / "in.parquet")
    pq.write_table(comments(6000, offset=30000), inp, row_group_size=1000)
    ref = tmp_path / "ref"
    serve(tiny_onnx, [inp], ref, rows_per_part=150, max_batch_tokens=256, id_col="id")

    out = tmp_path / "out"
    for wait_parts in (3, 15):  # kill twice, at different depths
        proc = subprocess.Popen(_cli(tiny_onnx, inp, out, "--resume"), stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while _finished(out) < wait_parts and proc.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done_before = _finished(out)
    assert 0 < done_before < 40, "the kill should land mid-run"
    subprocess.run(_cli(tiny_onnx, inp, out, "--resume"), check=True, capture_output=True)
    summary = json.load(open(out / "_summary.json"))
    assert summary["parts_skipped"] == done_before and summary["parts_written"] == 40 - done_before

    a, b = read_output(ref), read_output(out)
    assert b.num_rows == 6000
    assert b.column("id").to_pylist() == pq.read_table(inp).column("id").to_pylist()
    assert a.column("label").equals(b.column("label"))
    np.testing.assert_array_equal(np.array(a.select(prob_cols(LABELS))), np.array(b.select(prob_cols(LABELS))))
    assert not [f for f in os.listdir(out) if f.endswith(".tmp") or ".parquet." in f]
