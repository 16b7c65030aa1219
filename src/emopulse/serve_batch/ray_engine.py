"""The Ray engine: the local engine's parts, spread over a Ray cluster.

Ray Data gets one row per unfinished part (file, first row, last row); a pool of actors — each
holding the same serve-batch task as the local engine (bundle, canonical texts, length sorting,
token-budget batches, the head, order restored inside the part) — reads its part's rows with
pyarrow, runs the task on it (`core.partloop.run_inline`), and writes the part with the run
contract's `write_part`. The driver records each finished part with `OutputDir.record`, so a run
can resume (engine `local` or `ray`, same parts, same fingerprint) with every row exactly once. Ray
is imported only here.

Resume: the project's own manifest, per part. (Ray Data's own checkpointing, keyed on an id
column, would not give the local engine's `<file>:<row>` ids nor its part layout.)
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict

from ..core import schema, storage
from ..core.bundle import load_bundle
from ..core.partloop import run_inline
from ..core.parts import PartRecord, write_part
from ..core.reader import Part, SeenIds, read_parts
from .args import ServeBatchArgs, batch_tokens
from .runner import InlineRunner
from .task import ServeTask, invocation_summary, new_stats, open_run, read_back_ids


class PartPredictor:
    """A Ray actor: loads the bundle once, then classifies whole parts."""

    def __init__(self, args: ServeBatchArgs, plan, threads: int, storage_env: dict):
        self.args, self.plan = args, plan
        storage.adopt(storage_env, args.storage_options)
        bundle = load_bundle(args.model, args.max_length, args.device, threads, args.dtype)
        predictor = bundle.predictor(batch_tokens(args), args.max_batch_rows, host_workers=threads)
        self.runner = InlineRunner(bundle.spec)
        self.predictor, self.id_col = predictor, args.id_col or schema.ID_COL

    def __call__(self, batch: dict) -> dict:
        out = {"record": [], "stats": []}
        for i in range(len(batch["file_index"])):
            part = Part(
                int(batch["file_index"][i]),
                int(batch["chunk"][i]),
                str(batch["path"][i]),
                int(batch["start"][i]),
                int(batch["stop"][i]),
            )
            _, table = next(read_parts(self.plan, [part]))
            stats = new_stats()
            task = ServeTask(self.plan, self.predictor, self.runner, self.id_col, stats)
            task.seen = None  # repeated ids are counted by the driver, across parts
            tbl, dead = run_inline(task, part, table)
            rec = write_part(
                self.args.output,
                part.name,
                tbl,
                dead,
                file=self.plan.rel_names[part.file_index],
                start=part.start,
                stop=part.stop,
                engine="ray",
            )
            out["record"].append(json.dumps(asdict(rec)))  # as JSON: its `statuses` keys vary by part
            out["stats"].append(stats)
        return out


def run(args: ServeBatchArgs) -> dict:
    import ray

    t_start = time.perf_counter()
    threads = args.threads or max(1, int(args.cpus_per_worker))
    plan, bundle, _, parts, out = open_run(args, threads)
    stats = new_stats()
    with out:
        todo = [p for p in parts if p.name not in out.finished]
        seen, by_name, id_col = SeenIds(), {p.name: p for p in parts}, args.id_col or schema.ID_COL
        read_back_ids(out, plan, [p for p in parts if p.name in out.finished], id_col, seen, stats)  # a resume
        if todo:
            if not ray.is_initialized():
                ray.init(
                    address=args.address,
                    ignore_reinit_error=True,
                    log_to_driver=False,
                    include_dashboard=False,
                    **({} if args.address else {"num_cpus": os.cpu_count()}),
                )
            ctx = ray.data.DataContext.get_current()
            ctx.enable_progress_bars = sys.stderr.isatty() if args.progress is None else bool(args.progress)
            items = [
                {"file_index": p.file_index, "chunk": p.chunk, "path": p.path, "start": p.start, "stop": p.stop}
                for p in todo
            ]
            workers = max(1, args.workers)
            ds = ray.data.from_items(items, override_num_blocks=min(len(items), workers * 4)).map_batches(
                PartPredictor,
                fn_constructor_args=(args, plan, threads, storage.environment()),
                batch_size=1,
                concurrency=workers,
                num_cpus=args.cpus_per_worker,
                num_gpus=args.gpus_per_worker or None,
            )
            for row in ds.iter_rows():  # the driver records parts as they finish: the manifest is the truth
                rec = PartRecord.from_dict(json.loads(row["record"]))
                out.record(rec)
                for k, v in row["stats"].items():
                    stats[k] = (stats[k] or v) if isinstance(v, str) else stats[k] + v
                # an actor sees one part: the driver reads its ids back (id column only) to count
                # repeats across parts, in the order parts finish
                read_back_ids(out, plan, [by_name[rec.name]], id_col, seen, stats)
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
                engine="ray",
                cpus_per_worker=args.cpus_per_worker,
                gpus_per_worker=args.gpus_per_worker,
            )
        )
