"""The local engine: read -> prepare (tokenize, sort, batch) -> run -> assemble and write,
each stage in its own thread (the model in its own thread or processes), joined by small
bounded queues so memory stays flat however large the input is.
"""
from __future__ import annotations

import logging
import queue
import sys
import threading
import time

import pyarrow as pa

from ..core import schema, storage
from ..core.bundle import load_bundle
from ..core.fingerprint import run_fingerprint
from ..core.parts import OutputDir
from ..core.progress import Timers, progress_bar
from ..core.reader import InputPlan, Part, dead_table, plan_inputs, plan_parts, read_parts, row_columns
from .args import ServeBatchArgs, batch_tokens
from .runner import default_threads, make_runner

log = logging.getLogger("emopulse.serve_batch")

_END = object()


class _Pipeline:
    """Threads that stop together: the first error stops every stage and is re-raised."""

    def __init__(self):
        self.stop = threading.Event()
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
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
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


def part_table(plan: InputPlan, part: Part, table: pa.Table, preds: pa.Table, labels,
               id_col: str, counts: dict | None = None) -> pa.Table:
    """Id column, kept columns (null where this file lacks one), then the prediction columns."""
    out_schema = schema.output_schema(labels, plan.keep_schema, id_col)
    return pa.Table.from_arrays(row_columns(plan, part, table, id_col, counts) + preds.columns, schema=out_schema)


def classify_part(plan: InputPlan, part: Part, table: pa.Table, prep, results, predictor, labels,
                  id_col: str, stats: dict) -> tuple[pa.Table, pa.Table | None]:
    """Prediction rows and dead-letter rows of one part: the same for the local and Ray engines."""
    preds, dead = predictor.assemble(prep, results)
    tbl = part_table(plan, part, table, preds, labels, id_col, stats)
    _count(stats, tbl, prep)
    return tbl, dead_table(plan, part, table, tbl.column(id_col), dead, id_col)


def settings(args: ServeBatchArgs) -> dict:
    """The run settings that change results (batching does, for int8: dynamic quantization)."""
    return {"rows_per_part": args.rows_per_part, "max_batch_tokens": batch_tokens(args),
            "max_batch_rows": args.max_batch_rows}


def open_run(args: ServeBatchArgs, threads: int):
    """Plan the inputs, load the model, open the output dir: what both engines do first."""
    storage.configure(args.storage_options)
    plan = plan_inputs(args.inputs, args.text_col, args.id_col, args.keep_cols, args.skip_bad_files, args.format,
                       args.encoding)
    bundle = load_bundle(args.model, args.max_length, args.device, threads, args.dtype)
    encoder = bundle.encoder()
    parts = plan_parts(plan, args.rows_per_part)
    out = OutputDir(args.output, run_fingerprint(bundle.fingerprint(encoder), plan, settings(args)), args.resume,
                    args.overwrite, planned=[p.name for p in parts], inputs=plan.files, input_roots=args.inputs)
    todo = sum(p.n_rows for p in parts if p.name not in out.finished)
    log.info(f"{len(plan.files)} input file(s), {sum(plan.num_rows):,} rows in {len(parts)} parts; "
             f"{len(out.finished)} already finished, {todo:,} rows to classify -> {args.output}",
             extra={"fields": {"files": len(plan.files), "rows": sum(plan.num_rows), "parts": len(parts),
                               "parts_finished": len(out.finished), "rows_todo": todo, "output": args.output}})
    for f, why in plan.bad_files.items():
        log.warning(f"skipped {f}: {why}")
    for why in out.repaired:
        log.warning(f"recomputing part {why}")
    return plan, bundle, encoder, parts, out


def new_stats() -> dict:
    return {"rows": 0, "ok": 0, "null": 0, "empty": 0, "failed": 0, "truncated": 0, "duplicates": 0,
            "real_tokens": 0, "padded_tokens": 0, "batches": 0, "null_ids": 0, "kept_cast_nulls": 0}


def run(args: ServeBatchArgs) -> dict:
    if args.engine == "ray":
        from .ray_engine import run as run_ray
        return run_ray(args)
    t_start = time.perf_counter()
    threads = args.threads or default_threads(args.workers)
    plan, bundle, encoder, parts, out = open_run(args, threads)
    id_col = args.id_col or schema.ID_COL
    predictor = bundle.predictor(batch_tokens(args), args.max_batch_rows, encoder)
    timers = Timers()
    stats = new_stats()

    with out:
        todo = [p for p in parts if p.name not in out.finished]
        runner = make_runner(bundle.spec, args.workers)
        pipe = _Pipeline()
        q_read, q_prep, q_run = queue.Queue(2), queue.Queue(2), queue.Queue(3)
        bar = progress_bar(sum(p.n_rows for p in todo), "serve-batch", enabled=args.progress,
                           heartbeat=args.heartbeat)

        def reader():
            it = read_parts(plan, todo, skip_bad_files=args.skip_bad_files)
            while not pipe.stop.is_set():
                with timers.time("read"):
                    item = next(it, _END)
                pipe.put(q_read, item)
                if item is _END:
                    return

        def preparer():
            while (item := pipe.get(q_read)) is not _END:
                part, table = item
                with timers.time("tokenize"):
                    prep = predictor.prepare(table.column(plan.text_col).combine_chunks())
                pipe.put(q_prep, (part, table, prep))
            pipe.put(q_prep, _END)

        def writer():
            while (item := pipe.get(q_run)) is not _END:
                part, table, prep, futures = item
                results = [f.result() for f in futures]
                timers.add("infer", sum(r.seconds for r in results))
                with timers.time("write"):
                    tbl, dead = classify_part(plan, part, table, prep, results, predictor, bundle.labels,
                                              id_col, stats)
                    log.debug(f"{part.name}: {tbl.num_rows} rows committed")
                    out.commit(part.name, tbl, dead, file=plan.rel_names[part.file_index],
                               start=part.start, stop=part.stop)
                bar.update(tbl.num_rows)

        try:
            pipe.spawn(reader)
            pipe.spawn(preparer)
            pipe.spawn(writer)
            # The main thread feeds the model: it submits every batch of a part at once, so
            # the runner always has the next batch queued while the writer waits on results.
            while (item := pipe.get(q_prep)) is not _END:
                part, table, prep = item
                futures = [runner.submit(b) for b in prep.batches]
                pipe.put(q_run, (part, table, prep, futures))
            pipe.put(q_run, _END)
            pipe.join()
        except BaseException:
            pipe.stop.set()
            raise
        finally:
            bar.close()
            runner.close()

        wall = time.perf_counter() - t_start
        return out.finish(invocation_summary(
            args, bundle, plan, parts, todo, stats, wall, engine="local", threads_per_worker=threads,
            stage_seconds=timers.as_dict(),
            padded_token_ratio=round(stats["padded_tokens"] / stats["real_tokens"], 4) if stats["real_tokens"] else None))


def invocation_summary(args: ServeBatchArgs, bundle, plan, parts, todo, stats: dict, wall: float, **extra) -> dict:
    """One invocation's figures (OutputDir.finish adds the run's cumulative totals)."""
    return {"model": args.model, "backend": bundle.spec.kind, "precision": bundle.precision,
            "device": args.device, "workers": args.workers, "max_batch_tokens": batch_tokens(args),
            "max_length": bundle.max_length, "parts_total": len(parts), "parts_skipped": len(parts) - len(todo),
            "parts_written": len(todo), "bad_files": plan.bad_files, **stats, "seconds": round(wall, 3),
            "rows_per_s": round(stats["rows"] / wall, 1) if wall else None, **extra}


def _count(stats: dict, tbl: pa.Table, prep) -> None:
    status = tbl.column(schema.STATUS_COL).to_pylist()
    stats["rows"] += tbl.num_rows
    for s in (schema.OK, schema.NULL_TEXT, schema.EMPTY_TEXT, schema.FAILED):
        stats[s] += status.count(s)
    stats["truncated"] += int(prep.truncated[prep.inverse].sum()) if len(prep.inverse) else 0
    stats["duplicates"] += prep.duplicates
    stats["batches"] += len(prep.batches)
    stats["real_tokens"] += sum(b.real_tokens for b in prep.batches)
    stats["padded_tokens"] += sum(b.padded_tokens for b in prep.batches)


def print_summary(summary: dict, file=sys.stdout) -> None:
    s = summary
    where = f"on Ray ({s['workers']} actors" if s.get("engine") == "ray" else \
        f"({s['workers']} worker(s) x {s.get('threads_per_worker')} threads"
    print(f"{s['rows']:,} rows in {s['seconds']:.1f} s = {s['rows_per_s']:,} rows/s {where}, "
          f"{s['backend']} {s['precision']}); ok {s['ok']:,}, null {s['null']:,}, empty {s['empty']:,}, "
          f"failed {s['failed']:,}, truncated {s['truncated']:,}, duplicates computed once {s['duplicates']:,}", file=file)
    if s.get("stage_seconds"):
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in s["stage_seconds"].items())
        print(f"stage time (overlapped): {stages}; padded/real tokens {s['padded_token_ratio']}", file=file)
    t = s["totals"]
    print(f"parts written {s['parts_written']}, skipped (already done) {s['parts_skipped']}; run "
          f"{'complete (_SUCCESS)' if t['complete'] else 'INCOMPLETE'}: {t['parts_done']}/{t['parts_planned']} parts, "
          f"{t['rows']:,} rows", file=file)
    for name in s.get("parts_repaired", []):
        print(f"recomputed damaged part {name}", file=file)
    for what, n in (("null ids replaced by <file>:<row>", s.get("null_ids")),
                    ("kept values that did not fit the column's type, set to null", s.get("kept_cast_nulls"))):
        if n:
            print(f"warning: {n:,} {what}", file=file)
    for f, why in s["bad_files"].items():
        print(f"skipped bad file {f}: {why}", file=file)
