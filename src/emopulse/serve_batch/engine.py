"""The local engine: the part loop (core/partloop.py) over a serve-batch task, with the model in
this process (one session) or in worker processes (one session each), and the host work (tokenizer,
the head's n-gram member, assembly) on `--host-workers` threads."""

from __future__ import annotations

import logging
import os
import time

from ..core import schema
from ..core.partloop import run_local
from ..core.progress import Timers, progress_bar
from ..core.reader import read_parts
from .args import ServeBatchArgs, batch_tokens
from .runner import default_threads, make_runner
from .task import ServeTask, invocation_summary, new_stats, open_run, read_back_ids

log = logging.getLogger("emopulse.serve_batch")


def host_workers(args: ServeBatchArgs) -> int:
    return args.host_workers or max(1, os.cpu_count() or 1)


def run(args: ServeBatchArgs, backend_kind: str | None = None, served_head: bool = True) -> dict:
    """Classify `args.inputs` into `args.output`; the run's summary. For `emopulse bench --host-only`:
    `backend_kind="noop"` swaps the model for a null one of the same output shape, `served_head=False`
    serves the encoder's own probabilities."""
    if args.engine == "ray":
        from .ray_engine import run as run_ray

        return run_ray(args)
    t_start = time.perf_counter()
    threads = args.threads or default_threads(args.workers)
    plan, bundle, encoder, parts, out = open_run(args, threads)
    if backend_kind:
        from dataclasses import replace

        bundle.spec = replace(bundle.spec, kind=backend_kind)
    id_col = args.id_col or schema.ID_COL
    hosts = host_workers(args)
    timers = Timers()
    predictor = bundle.predictor(batch_tokens(args), args.max_batch_rows, encoder, host_workers=hosts, timers=timers)
    if not served_head:
        from ..core.head import Head

        predictor.head = Head()
    stats = new_stats()

    with out:
        todo = [p for p in parts if p.name not in out.finished]
        runner = make_runner(bundle.spec, args.workers)
        task = ServeTask(plan, predictor, runner, id_col, stats, timers)
        # a resume reads the finished parts' ids back and counts their repeats too: the figure is the
        # whole output's (an interrupted invocation's summary does not carry it)
        read_back_ids(out, plan, [p for p in parts if p.name in out.finished], id_col, task.seen, stats)
        bar = progress_bar(sum(p.n_rows for p in todo), "serve-batch", enabled=args.progress, heartbeat=args.heartbeat)
        task.on_rows = bar.update

        def commit(part, tbl, dead):
            with timers.time("commit"):
                out.commit(part.name, tbl, dead, file=plan.rel_names[part.file_index], start=part.start, stop=part.stop)
            log.debug(f"{part.name}: {tbl.num_rows} rows committed")
            bar.update(tbl.num_rows - task.credited.pop(part.name, 0))

        t_parts = time.perf_counter()
        try:
            run_local(
                task,
                read_parts(plan, todo, skip_bad_files=args.skip_bad_files),
                commit,
                on_read=lambda s: timers.add("read", s),
            )
            parts_seconds = time.perf_counter() - t_parts
        finally:
            bar.close()
            runner.close()
            predictor.close()

        wall = time.perf_counter() - t_start
        return out.finish(
            invocation_summary(
                args,
                bundle,
                plan,
                parts,
                todo,
                stats,
                wall,
                engine="local",
                threads_per_worker=threads,
                host_workers=hosts,
                stage_seconds=timers.as_dict(),
                parts_seconds=round(parts_seconds, 4),
            )
        )
