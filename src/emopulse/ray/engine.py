"""The Ray engine: the local engine's parts, spread over a Ray cluster.

Ray Data gets one row per unfinished part (file, first row, last row); a pool of actors — each
holding the same core predictor as the local engine (bundle, length sorting, token-budget
batches, order restored inside the part) — reads its part's rows with pyarrow (any filesystem
pyarrow knows: a shared path, s3://, gs://), predicts, and writes the part file atomically. The
driver records each finished part in the same _manifest.json as the local engine, so a run can
resume (engine `local` or `ray`, same parts) with every row exactly once.

Resume: the project's own manifest, per part. (Ray Data's own checkpointing, keyed on an id
column, would not give the local engine's `<file>:<row>` ids nor its part layout.)
"""
from __future__ import annotations

import os
import time

import pyarrow as pa

from ..core import schema
from ..core.bundle import load_bundle
from ..core.parts import OutputDir, write_parquet_atomic
from ..core.reader import dead_table, plan_inputs, plan_parts, row_columns
from ..serve_batch.args import ServeBatchArgs, batch_tokens
from ..serve_batch.engine import run_fingerprint


class PartPredictor:
    """A Ray actor: loads the bundle once, then classifies whole parts."""

    def __init__(self, args: ServeBatchArgs, plan, threads: int):
        from ..core.backends import build_backend
        self.args, self.plan = args, plan
        self.bundle = load_bundle(args.model, args.max_length, args.device, threads, args.dtype)
        self.predictor = self.bundle.predictor(batch_tokens(args), args.max_batch_rows)
        self.backend = build_backend(self.bundle.spec)
        self.id_col = args.id_col or schema.ID_COL

    def __call__(self, batch: dict) -> dict:
        from ..core.reader import Part, read_parts
        out = {"name": [], "rows": [], "failed": [], "seconds": []}
        for i in range(len(batch["file_index"])):
            t0 = time.perf_counter()
            part = Part(int(batch["file_index"][i]), int(batch["chunk"][i]), str(batch["path"][i]),
                        int(batch["start"][i]), int(batch["stop"][i]))
            _, table = next(read_parts(self.plan, [part]))
            preds, dead = self.predictor.predict(table.column(self.plan.text_col).combine_chunks(), self.backend)
            cols = row_columns(self.plan, part, table, self.id_col) + preds.columns
            tbl = pa.Table.from_arrays(cols, schema=schema.output_schema(self.bundle.labels, self.plan.keep_schema,
                                                                         self.id_col))
            tmp = os.path.join(self.args.output, "_tmp")
            dtab = dead_table(self.plan, part, table, tbl.column(self.id_col), dead, self.id_col)
            if dtab is not None:
                os.makedirs(os.path.join(self.args.output, "_deadletter"), exist_ok=True)
                write_parquet_atomic(dtab, os.path.join(self.args.output, "_deadletter", f"{part.name}.parquet"), tmp)
            write_parquet_atomic(tbl, os.path.join(self.args.output, f"{part.name}.parquet"), tmp)
            out["name"].append(part.name)
            out["rows"].append(tbl.num_rows)
            out["failed"].append(len(dead))
            out["seconds"].append(time.perf_counter() - t0)
        return out


def run(args: ServeBatchArgs) -> dict:
    import ray
    t_start = time.perf_counter()
    plan = plan_inputs(args.inputs, args.text_col, args.id_col, args.keep_cols, args.skip_bad_files)
    threads = args.threads or max(1, int(args.cpus_per_worker))
    bundle = load_bundle(args.model, args.max_length, args.device, threads, args.dtype)
    fingerprint = run_fingerprint(args, plan, bundle, bundle.encoder())
    stats = {"rows": 0, "failed": 0}
    with OutputDir(args.output, fingerprint, args.resume, args.overwrite) as out:
        parts = plan_parts(plan, args.rows_per_part)
        todo = [p for p in parts if p.name not in out.finished]
        if not ray.is_initialized():
            ray.init(address=args.address, ignore_reinit_error=True, log_to_driver=False,
                     include_dashboard=False, **({} if args.address else {"num_cpus": os.cpu_count()}))
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = bool(args.progress)
        by_name = {p.name: p for p in todo}
        if todo:
            items = [{"file_index": p.file_index, "chunk": p.chunk, "path": p.path, "start": p.start, "stop": p.stop}
                     for p in todo]
            workers = max(1, args.workers)
            ds = ray.data.from_items(items, override_num_blocks=min(len(items), workers * 4)).map_batches(
                PartPredictor, fn_constructor_args=(args, plan, threads), batch_size=1, concurrency=workers,
                num_cpus=args.cpus_per_worker, num_gpus=args.gpus_per_worker or None)
            for row in ds.iter_rows():  # the driver commits as parts finish: the manifest is the truth
                p = by_name[row["name"]]
                out.manifest["parts"][p.name] = {"rows": int(row["rows"]), "file": plan.rel_names[p.file_index],
                                                 "start": p.start, "stop": p.stop, "engine": "ray"}
                out.commit_recorded()
                stats["rows"] += int(row["rows"])
                stats["failed"] += int(row["failed"])
        wall = time.perf_counter() - t_start
        summary = {"engine": "ray", "resume": "project manifest per part", "model": args.model,
                   "backend": bundle.spec.kind, "precision": bundle.precision, "workers": args.workers,
                   "cpus_per_worker": args.cpus_per_worker, "gpus_per_worker": args.gpus_per_worker,
                   "parts_total": len(parts), "parts_written": len(todo), "parts_skipped": len(parts) - len(todo),
                   "bad_files": plan.bad_files, **stats, "seconds": round(wall, 3),
                   "rows_per_s": round(stats["rows"] / wall, 1) if wall else None}
        out.write_summary(summary)
    return summary
