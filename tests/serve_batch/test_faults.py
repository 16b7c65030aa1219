"""Faults from outside: kill -9 at random moments (property test), signals, orphan workers, and
model problems ending in one-line errors with distinct exit codes (issue 13, items 8 and 12)."""

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

import psutil
import pyarrow.parquet as pq
import pytest

from emopulse.core.errors import BundleError, InputError
from emopulse.core.parts import SUCCESS

from ..conftest import comments
from .helpers import parts_done, read_output, serve, serve_cmd

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d (DEBUG|INFO|WARNING) emopulse")


def _gone(pids, timeout=10.0) -> list[int]:
    deadline = time.time() + timeout
    alive = list(pids)
    while alive and time.time() < deadline:
        alive = [p for p in alive if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.1)
    return alive


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("faults") / "in.parquet")
    pq.write_table(comments(2000, offset=20000), path, row_group_size=500)
    return path


@pytest.fixture(scope="module")
def reference(tiny_onnx, data_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "o"
    serve(tiny_onnx, [data_file], out, rows_per_part=100, max_batch_tokens=256, id_col="id")
    return read_output(out)


def test_random_kills_then_resume_are_exactly_once_and_leave_no_orphans(tiny_onnx, data_file, reference, tmp_path):
    """20 trials: kill -9 after a random number of parts (1 or 2 workers), then --resume."""
    rng = random.Random(13)
    for trial in range(20):
        workers = "2" if trial % 2 else "1"
        out = tmp_path / f"t{trial}"
        proc = subprocess.Popen(
            serve_cmd(tiny_onnx, data_file, out, "--workers", workers, "--resume"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        target, deadline, children = rng.randint(0, 12), time.time() + 120, set()
        while proc.poll() is None and time.time() < deadline and parts_done(out) < target:
            try:
                children |= {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
            except psutil.NoSuchProcess:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not _gone(children), f"trial {trial}: worker processes outlived the engine"
        subprocess.run(
            serve_cmd(tiny_onnx, data_file, out, "--workers", workers, "--resume"),
            check=True,
            capture_output=True,
            timeout=300,
        )
        got = read_output(out)
        assert got.equals(reference), f"trial {trial} (workers {workers}, killed after {target} parts)"
        assert os.path.exists(out / SUCCESS)


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_end_with_one_line_and_their_exit_code(tiny_onnx, data_file, reference, tmp_path, sig, code):
    out = tmp_path / "o"
    proc = subprocess.Popen(
        serve_cmd(tiny_onnx, data_file, out, "--workers", "2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while proc.poll() is None and time.time() < deadline and parts_done(out) < 3:
        time.sleep(0.01)
    children = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    proc.send_signal(sig)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == code, err
    assert err.strip().splitlines()[-1].endswith("interrupted; finished parts are kept (use --resume)")
    assert "Traceback" not in err and "FATAL" not in err
    assert not _gone(children)
    # a preempted job still leaves a summary of what is finished (before: none until a resume)
    summary = json.load(open(out / "_summary.json"))
    inv, totals = summary["this_invocation"], summary["totals"]
    assert inv["interrupted"] == {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}[sig]
    assert inv["parts_written"] == totals["parts_done"] >= 3 and inv["rows"] == totals["rows"] > 0
    assert totals["complete"] is False and not os.path.exists(out / SUCCESS)
    subprocess.run(serve_cmd(tiny_onnx, data_file, out, "--workers", "2", "--resume"), check=True, capture_output=True)
    assert read_output(out).equals(reference)
    summary = json.load(open(out / "_summary.json"))
    assert summary["totals"]["complete"] and summary["totals"]["rows"] == reference.num_rows
    assert [("interrupted" in i) for i in summary["invocations"]] == [True, False]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "emopulse", *args], capture_output=True, text=True, timeout=300)


def test_model_problems_are_one_line_errors_with_exit_codes(tiny_bundle, tiny_model, data_file, tmp_path):
    def broken(name, change):
        b = tmp_path / name
        shutil.copytree(tiny_bundle, b)
        change(b)
        return str(b)

    def manifest(b, **kw):
        m = json.load(open(b / "manifest.json"))
        m.update(kw)
        json.dump(m, open(b / "manifest.json", "w"))

    cases = {
        "no tokenizer": broken("t", lambda b: [os.remove(b / f) for f in os.listdir(b) if f.startswith("tokenizer")]),
        "no model file": broken("w", lambda b: os.remove(b / "model.onnx")),
        "corrupt manifest": broken("c", lambda b: (b / "manifest.json").write_text("{not json")),
        "ready is a string": broken("r", lambda b: manifest(b, ready="false")),
        "model_file outside": broken("x", lambda b: manifest(b, model_file="../../etc/passwd")),
        "id2label mismatch": broken(
            "l",
            lambda b: (b / "config.json").write_text(
                json.dumps(
                    json.load(open(b / "config.json"))
                    | {"id2label": {"0": "a", "1": "b"}, "label2id": {"a": 0, "b": 1}}
                )
            ),
        ),
    }
    for what, model in cases.items():
        r = _cli(
            "serve-batch",
            "--model",
            model,
            "--input",
            data_file,
            "--output",
            str(tmp_path / f"o-{what}"),
            "--no-progress",
        )
        assert r.returncode == BundleError.exit_code, (what, r.returncode, r.stderr[-800:])
        errors = [ln for ln in r.stderr.strip().splitlines() if not LOG_LINE.match(ln)]  # info logs aside
        assert "Traceback" not in r.stderr and len(errors) == 1, (what, r.stderr)
    r = _cli(
        "serve-batch",
        "--model",
        tiny_bundle,
        "--input",
        str(tmp_path / "missing.parquet"),
        "--output",
        str(tmp_path / "o"),
    )
    assert r.returncode == InputError.exit_code and "missing.parquet" in r.stderr
    r = _cli(
        "serve-batch",
        "--model",
        tiny_bundle,
        "--input",
        data_file,
        "--output",
        str(tmp_path / "o"),
        "--rows-per-part",
        "-5",
    )
    assert r.returncode == 10 and "rows-per-part" in r.stderr
