"""The part loop: read -> prepare -> run -> assemble -> commit, for every stage that writes a run.

A stage is a `PartTask` (serve-batch's classifier, label's LLM); the schedulers here run any task:

    run_local   the local engine: a reader thread, a preparer thread, the model fed from the calling
                thread, an assembler/writer thread, joined by small bounded queues, so the host work
                of part k+1 overlaps the model on part k and memory stays flat however large the input
    run_inline  one part start to finish in the calling thread (a Ray actor, tests)

The run contract (parts.py: commit, manifest, resume) stays outside: the caller passes `commit`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, Protocol

import pyarrow as pa

from .reader import Part

_END = object()


class PartTask(Protocol):
    """What a stage does to one part. `prepare` and `assemble` run on host threads, `submit` hands
    the prepared work to the device (futures, possibly already done)."""

    def prepare(self, part: Part, table: pa.Table) -> Any: ...

    def submit(self, prepared: Any) -> list[Future]: ...

    def assemble(self, part: Part, table: pa.Table, prepared: Any, results: list) -> tuple[pa.Table, pa.Table | None]:
        """(output rows, dead-letter rows or None) of the part."""
        ...


Commit = Callable[[Part, pa.Table, "pa.Table | None"], None]


def done_future(value) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


def run_inline(task: PartTask, part: Part, table: pa.Table) -> tuple[pa.Table, pa.Table | None]:
    prepared = task.prepare(part, table)
    return task.assemble(part, table, prepared, [f.result() for f in task.submit(prepared)])


class _Pipeline:
    """Threads that stop together: the first error stops every stage and is re-raised."""

    def __init__(self):
        self.stop = threading.Event()
        self.committing = threading.Lock()  # held by the writer while it commits a part
        self.error: BaseException | None = None
        self.threads: list[threading.Thread] = []

    def put(self, q: queue.Queue, item) -> None:
        while not self.stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return
            except queue.Full:
                pass

    def get(self, q: queue.Queue):
        while True:
            try:
                return q.get(timeout=0.1)
            except queue.Empty:
                if self.stop.is_set():
                    return _END

    def spawn(self, fn, *args) -> None:
        def target():
            try:
                fn(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
                self.error = self.error or exc
                self.stop.set()

        t = threading.Thread(target=target, daemon=True, name=f"emopulse-{fn.__name__}")
        t.start()
        self.threads.append(t)

    def join(self) -> None:
        for t in self.threads:
            t.join()
        if self.error:
            raise self.error


def run_local(
    task: PartTask,
    parts: Iterable[tuple[Part, pa.Table]],
    commit: Commit,
    on_read: Callable[[float], None] | None = None,
) -> None:
    """Run every part of `parts` (an iterator of (part, table), read in its own thread) through
    `task` and `commit` each result, in part order. The first error anywhere stops all stages and
    is raised here; parts committed before it stay committed."""
    pipe = _Pipeline()
    q_read: queue.Queue = queue.Queue(2)
    q_prep: queue.Queue = queue.Queue(2)
    q_run: queue.Queue = queue.Queue(3)
    it: Iterator = iter(parts)

    def reader():
        import time

        while not pipe.stop.is_set():
            t0 = time.perf_counter()
            item = next(it, _END)
            if on_read is not None:
                on_read(time.perf_counter() - t0)
            pipe.put(q_read, item)
            if item is _END:
                return

    def preparer():
        while (item := pipe.get(q_read)) is not _END:
            part, table = item
            pipe.put(q_prep, (part, table, task.prepare(part, table)))
        pipe.put(q_prep, _END)

    def writer():
        while (item := pipe.get(q_run)) is not _END:
            part, table, prepared, futures = item
            tbl, dead = task.assemble(part, table, prepared, [f.result() for f in futures])
            with pipe.committing:
                if pipe.stop.is_set():  # stopped (an error, SIGINT / SIGTERM): no part after that
                    return
                commit(part, tbl, dead)

    try:
        pipe.spawn(reader)
        pipe.spawn(preparer)
        pipe.spawn(writer)
        # The calling thread feeds the device: it submits every batch of a part at once, so the
        # runner always has the next batch queued while the writer waits on results.
        while (item := pipe.get(q_prep)) is not _END:
            part, table, prepared = item
            pipe.put(q_run, (part, table, prepared, task.submit(prepared)))
        pipe.put(q_run, _END)
        pipe.join()
    except BaseException:
        pipe.stop.set()
        with pipe.committing:  # a commit in flight ends first: the caller's summary then sees every part
            pass
        raise
