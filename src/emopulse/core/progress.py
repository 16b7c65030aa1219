"""Stage timers and a progress bar that stays quiet when stderr is not a terminal."""
from __future__ import annotations

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


def progress_bar(total: int, desc: str, unit: str = "rows", enabled: bool | None = None):
    """tqdm bar with rows/s and ETA on a terminal; a no-op object otherwise."""
    from tqdm import tqdm
    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, smoothing=0.1,
                disable=not enabled, dynamic_ncols=True)
