"""Progress: a bar on a terminal by default, heartbeat lines on a timer without one."""

import io
import json
import os
import subprocess
import sys
import threading
import time

import pyarrow as pa
import pyarrow.parquet as pq

from emopulse.core.progress import Progress, progress_bar, progress_mode


def test_mode_follows_the_terminal_unless_told():
    assert progress_mode(None, io.StringIO()) == "heartbeat"
    assert progress_mode(True, io.StringIO()) == "bar"
    assert progress_mode(False, io.StringIO()) == "off"

    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert progress_mode(None, Tty()) == "bar"  # the default on a terminal is a bar (was: nothing)


def test_heartbeat_lines_come_on_a_timer_without_updates():
    out = io.StringIO()
    with progress_bar(1000, "serve-batch", heartbeat=0.1, file=out) as bar:
        bar.update(250)
        time.sleep(0.55)  # no update in between: the timer still prints
    lines = out.getvalue().splitlines()
    assert len(lines) >= 4, lines
    assert all("serve-batch: 250/1,000 rows (25 %)" in ln and "ETA" in ln for ln in lines), lines


def test_update_is_thread_safe_and_counts_every_row():
    bar = Progress(None, "x", mode="off")

    def work():
        for _ in range(2000):
            bar.update(3)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bar.close()
    assert bar.done == 8 * 2000 * 3


def test_unknown_total_and_late_total():
    out = io.StringIO()
    bar = Progress(None, "index", mode="heartbeat", every=60, file=out)
    bar.update(10)
    assert "ETA" not in bar.line()[0] and "10 rows" in bar.line()[0]
    bar.set_total(40)
    msg, fields = bar.line()
    assert "10/40 rows (25 %)" in msg and fields["eta_s"] is not None
    bar.close()


def _input(tmp_path, n):
    pq.write_table(pa.table({"text": [f"정말 최고예요 {i}" for i in range(n)]}), tmp_path / "in.parquet")
    return str(tmp_path / "in.parquet")


def test_a_terminal_run_shows_a_bar_by_default(tiny_bundle, tmp_path):
    """stderr on a pseudo-terminal, no --progress: tqdm's bar is drawn."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))  # a 120 x 30 terminal
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emopulse",
            "serve-batch",
            "--model",
            tiny_bundle,
            "--input",
            _input(tmp_path, 400),
            "--output",
            str(tmp_path / "o"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    text = b"".join(chunks).decode(errors="replace")
    assert "serve-batch: 100%|" in text and "400/400" in text and "rows/s" in text, text[-2000:]


SLOW_RUN = """
import sys, time
from emopulse.core.backends.onnx import OnnxBackend
run = OnnxBackend.run
def slow(self, inputs):      # the model made slow on purpose: one part takes several seconds
    time.sleep(0.4)
    return run(self, inputs)
OnnxBackend.run = slow
from emopulse.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_piped_run_prints_heartbeats_inside_one_long_part(tiny_bundle, tmp_path):
    t0 = time.perf_counter()
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            SLOW_RUN,
            "serve-batch",
            "--model",
            tiny_bundle,
            "--input",
            _input(tmp_path, 600),
            "--output",
            str(tmp_path / "o"),
            "--heartbeat",
            "1",
            "--max-batch-rows",
            "32",
            "--log-format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    assert r.returncode == 0, r.stderr[-2000:]
    beats = [json.loads(ln) for ln in r.stderr.splitlines() if '"eta_s"' in ln]
    assert len(json.loads((tmp_path / "o" / "_manifest.json").read_text())["planned"]) == 1  # one part
    assert wall > 5 and len(beats) >= 3, (wall, r.stderr[-2000:])
    assert all(b["stage"] == "serve-batch" and 0 <= b["done"] <= b["total"] == 600 for b in beats)
    assert beats[-1]["done"] == 600


def test_a_dropped_progress_stops_its_heartbeat():
    import gc

    out = io.StringIO()
    bar = Progress(10, "x", mode="heartbeat", every=0.05, file=out)
    thread = bar._thread
    del bar
    gc.collect()
    thread.join(timeout=2)
    assert not thread.is_alive()


def test_a_step_without_counts_says_it_is_alive():
    bar = Progress(None, "index (3 files)", mode="off")
    assert bar.line()[0].startswith("index (3 files): ") and "elapsed" in bar.line()[0]
