"""serve-batch as a part task (core/partloop.py): what the local engine, its worker processes and
the Ray actors all run on a part, plus what every engine does before and after its parts."""

from __future__ import annotations

import logging
import sys

import pyarrow as pa
import pyarrow.compute as pc

from ..core import schema, storage
from ..core.bundle import load_bundle
from ..core.fingerprint import run_fingerprint
from ..core.parts import OutputDir
from ..core.predictor import Predictor, Prepared
from ..core.progress import Timers
from ..core.reader import InputPlan, Part, SeenIds, dead_table, plan_inputs, plan_parts, row_columns
from .args import ServeBatchArgs, batch_tokens

log = logging.getLogger("emopulse.serve_batch")


class ServeTask:
    """One part: prepare (host) -> the model's batches (runner) -> assemble (host). `stats` and
    `timers` are updated by `assemble`, which the part loop calls from one thread."""

    def __init__(
        self, plan: InputPlan, predictor: Predictor, runner, id_col: str, stats: dict, timers: Timers | None = None
    ):
        self.plan, self.predictor, self.runner, self.id_col = plan, predictor, runner, id_col
        self.stats, self.timers = stats, timers or Timers()
        self.on_rows = None  # called with rows done as batches finish (a progress bar's update)
        self.credited: dict[str, int] = {}  # part name -> rows already reported by on_rows
        self.seen = SeenIds()  # the input ids of the parts assembled so far (in part order)

    def prepare(self, part: Part, table: pa.Table) -> Prepared:
        with self.timers.time("prepare"):
            return self.predictor.prepare(table.column(self.plan.text_col))

    def submit(self, prep: Prepared) -> list:
        futures = [self.runner.submit(b) for b in prep.batches]
        if self.on_rows is not None and prep.texts:
            # progress inside a part: a finished batch counts its share of the part's rows (the commit
            # adds the rest, so the total is exact)
            per_text = prep.n_rows / len(prep.texts)
            for batch, f in zip(prep.batches, futures):
                share = int(len(batch.rows) * per_text)
                prep.credited += share
                f.add_done_callback(lambda _f, n=share: self.on_rows(n))
        return futures

    def assemble(self, part: Part, table: pa.Table, prep: Prepared, results: list) -> tuple[pa.Table, pa.Table | None]:
        self.timers.add("infer", sum(r.seconds for r in results))
        self.credited[part.name] = prep.credited
        with self.timers.time("assemble"):
            preds, dead = self.predictor.assemble(prep, results)
            out_schema = schema.output_schema(self.predictor.labels, self.plan.keep_schema, self.id_col)
            tbl = pa.Table.from_arrays(
                row_columns(self.plan, part, table, self.id_col, self.stats, self.seen) + preds.columns,
                schema=out_schema,
            )
            count(self.stats, tbl, prep)
            return tbl, dead_table(self.plan, part, table, tbl.column(self.id_col), dead, self.id_col)


def settings(args: ServeBatchArgs) -> dict:
    """The run settings that change results (batching does, for dynamic int8; not for a
    batch-invariant precision, but the fingerprint keeps one rule for all)."""
    return {
        "rows_per_part": args.rows_per_part,
        "max_batch_tokens": batch_tokens(args),
        "max_batch_rows": args.max_batch_rows,
    }


def open_run(args: ServeBatchArgs, threads: int):
    """Plan the inputs, load the model, open the output dir: what every engine does first."""
    storage.configure(args.storage_options)
    plan = plan_inputs(
        args.inputs, args.text_col, args.id_col, args.keep_cols, args.skip_bad_files, args.format, args.encoding
    )
    bundle = load_bundle(args.model, args.max_length, args.device, threads, args.dtype)
    encoder = bundle.encoder()
    parts = plan_parts(plan, args.rows_per_part)
    out = OutputDir(
        args.output,
        run_fingerprint(bundle.fingerprint(encoder), plan, settings(args)),
        args.resume,
        args.overwrite,
        planned=[p.name for p in parts],
        inputs=plan.files,
        input_roots=args.inputs,
    )
    todo = sum(p.n_rows for p in parts if p.name not in out.finished)
    log.info(
        f"{len(plan.files)} input file(s), {sum(plan.num_rows):,} rows in {len(parts)} parts; "
        f"{len(out.finished)} already finished, {todo:,} rows to classify -> {args.output}",
        extra={
            "fields": {
                "files": len(plan.files),
                "rows": sum(plan.num_rows),
                "parts": len(parts),
                "parts_finished": len(out.finished),
                "rows_todo": todo,
                "output": args.output,
            }
        },
    )
    for f, why in plan.bad_files.items():
        log.warning(f"skipped {f}: {why}")
    for why in plan.warnings:
        log.warning(why)
    for why in out.repaired:
        log.warning(f"recomputing part {why}")
    return plan, bundle, encoder, parts, out


def read_back_ids(out: OutputDir, plan: InputPlan, parts: list[Part], id_col: str, seen: SeenIds, counts=None):
    """The input ids of parts already written, read back from their files (id column only) into
    `seen`, and counted into `counts` when given: a resume's finished parts (so a repeat among them or
    across the resume is counted: the figure covers the whole output), a Ray actor's part (counted by
    the driver across parts). Generated '<file>:<row>' ids are never checked."""
    for p in parts:
        if plan.has_id[p.file_index]:
            f = storage.parquet_file(storage.join(out.path, f"{p.name}.parquet"))
            ids = f.read(columns=[id_col]).column(0).combine_chunks()
            if counts is None:
                seen.repeats(ids)
            else:
                seen.count(ids, counts, plan.files[p.file_index])


def new_stats() -> dict:
    return {
        "rows": 0,
        "ok": 0,
        "null": 0,
        "empty": 0,
        "failed": 0,
        "truncated": 0,
        "duplicates": 0,
        "real_tokens": 0,
        "padded_tokens": 0,
        "batches": 0,
        "null_ids": 0,
        "kept_cast_nulls": 0,
        "duplicate_ids": 0,  # rows of the whole output whose input id an earlier row has (a resume reads back)
        "first_duplicate_id": "",
        "first_duplicate_file": "",
    }


def count(stats: dict, tbl: pa.Table, prep: Prepared) -> None:
    stats["rows"] += tbl.num_rows
    for v in pc.value_counts(tbl.column(schema.STATUS_COL).combine_chunks()).to_pylist():
        if v["values"] in (schema.OK, schema.NULL_TEXT, schema.EMPTY_TEXT, schema.FAILED):
            stats[v["values"]] += v["counts"]
    stats["truncated"] += int(prep.truncated[prep.inverse].sum()) if len(prep.inverse) else 0
    stats["duplicates"] += prep.duplicates
    stats["batches"] += len(prep.batches)
    stats["real_tokens"] += sum(b.real_tokens for b in prep.batches)
    stats["padded_tokens"] += sum(b.padded_tokens for b in prep.batches)


def duplicate_ids_line(s: dict) -> str:
    n = s["duplicate_ids"]
    return (
        f"{n:,} {'row has' if n == 1 else 'rows have'} the id of an earlier row (id column {s['id_col']!r}; first: "
        f"{s['first_duplicate_id']!r} in {s['first_duplicate_file']}): each row is classified once, but a join "
        "on the id pairs their outputs wrongly"
    )


def invocation_summary(args: ServeBatchArgs, bundle, plan, parts, todo, stats: dict, wall: float, **extra) -> dict:
    """One invocation's figures: the summary's `this_invocation` (OutputDir.finish adds the whole
    output's `totals`, read from the part records, and the earlier invocations). Logs the repeated-ids
    warning, so that Python callers (emopulse.serve_batch) see it too, not only the CLI's summary."""
    if stats.get("duplicate_ids"):
        log.warning(duplicate_ids_line({**stats, "id_col": plan.id_col}))
    return {
        "model": args.model,
        "backend": bundle.spec.kind,
        "precision": bundle.precision,
        "device": args.device,
        "workers": args.workers,
        "max_batch_tokens": batch_tokens(args),
        "max_length": bundle.max_length,
        "parts_total": len(parts),
        "parts_skipped": len(parts) - len(todo),
        "parts_written": len(todo),
        "bad_files": plan.bad_files,
        "input_warnings": plan.warnings,
        "id_col": plan.id_col,
        **stats,
        "seconds": round(wall, 3),
        "rows_per_s": round(stats["rows"] / wall, 1) if wall else None,
        "padded_token_ratio": round(stats["padded_tokens"] / stats["real_tokens"], 4) if stats["real_tokens"] else None,
        **extra,
    }


def print_summary(summary: dict, file=sys.stdout) -> None:
    s, t = summary["this_invocation"], summary["totals"]
    where = (
        f"on Ray ({s['workers']} actors"
        if s.get("engine") == "ray"
        else f"({s['workers']} worker(s) x {s.get('threads_per_worker')} threads, {s.get('host_workers')} host threads"
    )
    print(
        f"{s['rows']:,} rows in {s['seconds']:.1f} s = {s['rows_per_s']:,} rows/s {where}, "
        f"{s['backend']} {s['precision']}); ok {s['ok']:,}, null {s['null']:,}, empty {s['empty']:,}, "
        f"failed {s['failed']:,}, truncated {s['truncated']:,}, repeated texts computed once {s['duplicates']:,}",
        file=file,
    )
    if s.get("stage_seconds"):
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in s["stage_seconds"].items())
        print(f"stage time (overlapped): {stages}; padded/real tokens {s['padded_token_ratio']}", file=file)
    print(
        f"parts written {s['parts_written']}, skipped (already done) {s['parts_skipped']}; run "
        f"{'complete (_SUCCESS)' if t['complete'] else 'INCOMPLETE'}: {t['parts_done']}/{t['parts_planned']} parts, "
        f"{t['rows']:,} rows (ok {t['ok']:,}, null {t['null']:,}, empty {t['empty']:,}, failed {t['failed']:,})",
        file=file,
    )
    for name in s.get("parts_repaired", []):
        print(f"recomputed damaged part {name}", file=file)
    for what, n in (
        ("null ids replaced by <file>:<row>", s.get("null_ids")),
        ("kept values that did not fit the column's type, set to null", s.get("kept_cast_nulls")),
    ):
        if n:
            print(f"warning: {n:,} {what}", file=file)
    if s.get("duplicate_ids"):
        print(f"warning: {duplicate_ids_line(s)}", file=file)
    for why in s.get("input_warnings", []):
        print(f"warning: {why}", file=file)
    for f, why in s["bad_files"].items():
        print(f"skipped bad file {f}: {why}", file=file)
