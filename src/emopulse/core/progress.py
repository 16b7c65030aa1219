"""Stage timers, and the progress every waiting user sees: a tqdm bar on a terminal, heartbeat lines on a
timer without one (Slurm, k8s, nohup, a pipe), nothing when switched off.

    with progress_bar(total_rows, "serve-batch", enabled=args.progress, heartbeat=args.heartbeat) as bar:
        ...
        bar.update(rows)            # from any thread, as often as per model batch: a lock and an add

The heartbeat comes from its own daemon thread every `heartbeat` seconds, so a line appears also while
one long part (or a model load, or an epoch) is in progress, whether or not rows were counted since.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import weakref
from contextlib import contextmanager


class Timers:
    """Seconds spent per stage. Stages run in parallel threads, so they add up to more than wall time."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    @contextmanager
    def time(self, stage: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.add(stage, time.perf_counter() - t0)

    def add(self, stage: str, seconds: float) -> None:
        with self._lock:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in self.seconds.items()}


def progress_mode(enabled: bool | None, stream=None) -> str:
    """'bar' (a terminal, or enabled=True), 'heartbeat' (enabled=None without a terminal) or 'off'."""
    if enabled is False:
        return "off"
    if enabled:
        return "bar"
    stream = stream or sys.stderr
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return "bar" if tty else "heartbeat"


class Progress:
    """Rows done out of `total` (None: unknown) for one waiting stage, shown as `mode` says.

    update(n) is thread-safe and cheap (a lock, an add, and in bar mode tqdm's own rate-limited refresh),
    so an engine may call it per model batch. set_total(n) when the total becomes known late. close()
    (or leaving the `with` block) stops the timer thread and prints a last line.
    """

    def __init__(
        self, total: int | None, desc: str, unit: str = "rows", mode: str = "heartbeat", every: float = 30.0, file=None
    ):
        if every <= 0:
            raise ValueError(f"heartbeat interval must be > 0 seconds, got {every}")
        self.total, self.desc, self.unit, self.every, self.mode = total, desc, unit, every, mode
        self.file = file  # None: the CLI's log handler when there is one, else stderr
        self.done = 0
        self.t0 = time.perf_counter()
        self.beats = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._bar = None
        self._thread = None
        if mode == "bar":
            from tqdm import tqdm

            stream = file or sys.stderr
            # a terminal that reports no size (a bare pty, some CI runners) would get no bar at all:
            # tqdm reads 0 rows and draws nothing
            sized = _width(stream) > 0
            self._bar = tqdm(
                total=total,
                desc=desc,
                unit=unit,
                unit_scale=True,
                smoothing=0.1,
                file=stream,
                dynamic_ncols=sized,
                ncols=None if sized else 100,
                nrows=None if sized else 20,
                mininterval=0.5,
            )
        elif mode == "heartbeat":
            # the thread holds the object weakly: a Progress dropped without close() (an exception in a
            # notebook) stops its heartbeat at the next tick instead of printing forever
            self._thread = threading.Thread(
                target=_tick,
                args=(weakref.ref(self), every, self._closed),
                daemon=True,
                name=f"emopulse-heartbeat-{desc}",
            )
            self._thread.start()

    def update(self, n: int = 1) -> None:
        with self._lock:
            self.done += n
            if self._bar is not None:
                self._bar.update(n)

    def set_total(self, total: int | None) -> None:
        with self._lock:
            self.total = total
            if self._bar is not None:
                self._bar.total = total
                self._bar.refresh()

    def set_description(self, desc: str) -> None:
        with self._lock:
            self.desc = desc
            if self._bar is not None:
                self._bar.set_description(desc)

    def line(self) -> tuple[str, dict]:
        """The heartbeat text and its figures (JSON log fields)."""
        with self._lock:
            done, total = self.done, self.total
        elapsed = time.perf_counter() - self.t0
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 and total is not None else None
        if total is None and done == 0:  # a step that counts nothing (a model load, a lazy query): alive
            return f"{self.desc}: {_duration(elapsed)} elapsed", {"stage": self.desc, "elapsed_s": round(elapsed, 1)}
        of = f"/{total:,}" if total is not None else ""
        pct = f" ({100 * done / total:.0f} %)" if total else ""
        eta_text = f"ETA {_duration(eta)}" if eta is not None else ("ETA unknown" if total else "")
        msg = (
            f"{self.desc}: {done:,}{of} {self.unit}{pct}, {rate:,.1f} {self.unit}/s, {_duration(elapsed)} "
            f"elapsed{', ' + eta_text if eta_text else ''}"
        )
        fields = {
            "stage": self.desc,
            "done": done,
            "total": total,
            "rate": round(rate, 1),
            "elapsed_s": round(elapsed, 1),
            "eta_s": None if eta is None else round(eta, 1),
        }
        return msg, fields

    def beat(self) -> None:
        msg, fields = self.line()
        self.beats += 1
        logger = logging.getLogger("emopulse.progress")
        if self.file is None and logging.getLogger("emopulse").handlers:
            # the CLI's handler: text, or JSON lines with the figures as fields
            logger.info(msg, extra={"fields": fields})
        else:
            print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {msg}", file=self.file or sys.stderr, flush=True)

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            if self.beats:  # a long job that showed heartbeats ends with its last figures
                self.beat()
        if self._bar is not None:
            with self._lock:
                self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _tick(ref, every: float, closed: threading.Event) -> None:
    while not closed.wait(every):
        progress = ref()
        if progress is None:
            return
        progress.beat()
        del progress


def _width(stream) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 0


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    m, s = divmod(seconds, 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def progress_bar(
    total: int | None, desc: str, unit: str = "rows", enabled: bool | None = None, heartbeat: float = 30.0, file=None
) -> Progress:
    """The progress of one stage: a tqdm bar (rows/s, ETA) when stderr is a terminal or enabled=True;
    heartbeat lines every `heartbeat` seconds when enabled is None and stderr is not a terminal;
    nothing when enabled=False."""
    return Progress(total, desc, unit, progress_mode(enabled, file), heartbeat, file)
