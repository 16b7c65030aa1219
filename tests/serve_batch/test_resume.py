"""Kill -9 in the middle of a run, resume, and get every row exactly once, identical."""

import json
import os
import signal
import subprocess
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from emopulse.core.parts import load_run
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
    inv, totals = summary["this_invocation"], summary["totals"]
    assert inv["parts_skipped"] == done_before and inv["parts_written"] == 40 - done_before
    assert totals["rows"] == 6000 and totals["parts_done"] == totals["parts_planned"] == 40 and totals["complete"]

    a, b = read_output(ref), read_output(out)
    assert b.num_rows == 6000
    assert b.column("id").to_pylist() == pq.read_table(inp).column("id").to_pylist()
    assert a.column("label").equals(b.column("label"))
    np.testing.assert_array_equal(np.array(a.select(prob_cols(LABELS))), np.array(b.select(prob_cols(LABELS))))
    assert not [f for f in os.listdir(out) if f.endswith(".tmp") or ".parquet." in f]


def test_summary_after_a_killed_run_and_a_resume_describes_the_whole_output(tiny_onnx, tmp_path):
    """The killed invocation writes no summary; its parts' rows and statuses (here a failed row, in
    _deadletter/, a null and an empty text) still count in the resumed run's `totals`."""
    t = comments(2000, offset=20000)
    texts = [None if x is None else x.encode() for x in t.column("text").to_pylist()]
    texts[3], texts[5], texts[7] = b"bad \xff\xfe bytes", None, b""
    t = t.set_column(t.schema.get_field_index("text"), "text", pa.array(texts, pa.binary()).view(pa.string()))
    inp = str(tmp_path / "in.parquet")
    pq.write_table(t, inp, row_group_size=500)
    out = tmp_path / "out"
    proc = subprocess.Popen(serve_cmd(tiny_onnx, inp, out, rows_per_part=100), stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while parts_done(out) < 3 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed = load_run(str(out)).parts.values()
    assert 0 < len(killed) < 20, "the kill should land mid-run"
    assert not (out / "_summary.json").exists()

    s = serve(tiny_onnx, [inp], out, resume=True, rows_per_part=100, max_batch_tokens=256, id_col="id")
    inv, totals = s["this_invocation"], s["totals"]
    assert totals["rows"] == 2000 and totals["parts_done"] == totals["parts_planned"] == 20 and totals["complete"]
    assert inv["rows"] == 2000 - sum(p.rows for p in killed) and inv["parts_written"] == 20 - len(killed)
    statuses = {v["values"]: v["counts"] for v in pc.value_counts(read_output(out).column("status")).to_pylist()}
    assert {k: totals[k] for k in ("ok", "null", "empty", "failed")} == statuses | {"failed": 1, "null": 1}
    assert totals["failed"] == totals["dead_rows"] == 1 and statuses["empty"] >= 1
    for k in ("ok", "null", "empty", "failed"):  # what the killed invocation committed counts too
        assert totals[k] == inv[k] + sum(p.statuses.get(k, 0) for p in killed)
    assert len(s["invocations"]) == 1 and json.load(open(out / "_summary.json")) == s

    # a second invocation with nothing left to do: the same totals, and its own figures are zeros
    again = serve(tiny_onnx, [inp], out, resume=True, rows_per_part=100, max_batch_tokens=256, id_col="id")
    assert again["totals"] | {"seconds_total": 0} == totals | {"seconds_total": 0}
    assert again["this_invocation"]["rows"] == again["this_invocation"]["parts_written"] == 0
    assert again["this_invocation"]["parts_skipped"] == 20 and len(again["invocations"]) == 2
