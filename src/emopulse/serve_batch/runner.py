"""Where batches run: one in-process thread, or N worker processes each with its own session.

Workers pull the next batch when they are free, so each worker's share follows the padded
tokens it can get through (work is split by token cost, not by rows). On CUDA each worker
takes its own device.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace

from ..core.backends import BackendSpec, build_backend
from ..core.batching import Batch
from ..core.predictor import BatchResult, run_batch


def default_threads(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // max(1, workers))


class InlineRunner:
    """The batch runs in the calling thread (a Ray actor: Ray already gives each actor its cores)."""

    def __init__(self, spec: BackendSpec):
        self.backend = build_backend(spec)

    def submit(self, batch: Batch) -> Future:
        f: Future = Future()
        f.set_result(run_batch(self.backend, batch))
        return f

    def close(self) -> None:
        pass


class ThreadRunner:
    def __init__(self, spec: BackendSpec):
        self.backend = build_backend(spec)
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="emopulse-infer")

    def submit(self, batch: Batch) -> Future:
        return self.pool.submit(run_batch, self.backend, batch)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


_worker_backend = None


def die_with_parent(parent: int | None = None) -> None:
    """Linux: this process gets SIGKILL when its parent dies (kill -9 of the engine leaves no
    orphan workers); elsewhere a thread watches the parent id. `parent`: the engine's pid as the
    engine saw it — a worker still importing when the engine was killed would otherwise read its
    new parent (init) here and wait for it forever."""
    import ctypes
    import signal
    import threading
    import time

    parent = parent or os.getppid()
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="emopulse-parent-watch").start()


def _init_worker(spec: BackendSpec, workers: int, parent: int) -> None:
    global _worker_backend
    die_with_parent(parent)
    if spec.device == "cuda":
        # workers are numbered from 1 by multiprocessing; no shared counter (a semaphore would
        # keep multiprocessing's resource tracker alive after a kill -9)
        index = (mp.current_process()._identity or (1,))[0] - 1
        spec = replace(spec, device=f"cuda:{index % workers}")
    _worker_backend = build_backend(spec)


def _run_in_worker(batch: Batch) -> BatchResult:
    return run_batch(_worker_backend, batch)


class ProcessRunner:
    def __init__(self, spec: BackendSpec, workers: int):
        ctx = mp.get_context("spawn")  # fork after threads and ORT sessions is unsafe
        self.pool = ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=(spec, workers, os.getpid())
        )

    def submit(self, batch: Batch) -> Future:
        return self.pool.submit(_run_in_worker, batch)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def make_runner(spec: BackendSpec, workers: int):
    return ThreadRunner(spec) if workers <= 1 else ProcessRunner(spec, workers)
