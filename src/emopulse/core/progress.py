"""Stage timers and a progress bar that stays quiet when stderr is not a terminal."""
from __future__ import annotations

import logging
import sys
import threading
import time
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


def progress_bar(total: int, desc: str, unit: str = "rows", enabled: bool | None = None,
                 heartbeat: float = 30.0):
    """tqdm bar with rows/s and ETA on a terminal. Without a terminal (Slurm, k8s, nohup) a
    heartbeat line every `heartbeat` seconds instead, so a long job shows it is alive; with
    enabled=False, nothing."""
    from tqdm import tqdm
    if enabled is None and not sys.stderr.isatty():
        return Heartbeat(total, desc, unit, heartbeat)
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, smoothing=0.1,
                disable=not enabled, dynamic_ncols=True)


class Heartbeat:
    """A progress line on stderr at most every `every` seconds: done / total, rate, ETA."""

    def __init__(self, total: int, desc: str, unit: str, every: float, file=None):
        self.total, self.desc, self.unit, self.every = total, desc, unit, every
        self.file = file                 # None: the CLI's log handler when there is one, else stderr
        self.done, self.t0 = 0, time.perf_counter()
        self.last = self.t0

    def update(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            rate = self.done / max(now - self.t0, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else float("inf")
            self.log(rate, eta)

    def log(self, rate: float, eta: float) -> None:
        msg = f"{self.desc}: {self.done:,}/{self.total:,} {self.unit} ({rate:,.0f} {self.unit}/s, ETA {eta:,.0f} s)"
        logger = logging.getLogger("emopulse.progress")
        if self.file is None and logging.getLogger("emopulse").handlers:
            # the CLI's handler: text or JSON lines with the figures as fields
            logger.info(msg, extra={"fields": {"stage": self.desc, "done": self.done, "total": self.total,
                                               "rate": round(rate, 1), "eta_s": round(eta, 1)}})
        else:
            print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {msg}", file=self.file or sys.stderr, flush=True)

    def close(self) -> None:
        pass
