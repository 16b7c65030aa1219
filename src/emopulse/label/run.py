"""label: stream Parquet, deduplicate, (optionally) let a classifier answer the confident rows,
ask the LLM for the rest, write parts with the same exactly-once machinery as serve-batch."""

from __future__ import annotations

import logging
import os
import time

import numpy as np
import pyarrow as pa

from ..core import schema, storage
from ..core.fingerprint import run_fingerprint
from ..core.partloop import done_future, run_local
from ..core.parts import OutputDir
from ..core.progress import Timers, progress_bar
from ..core.reader import dead_table, decode_texts, plan_inputs, plan_parts, read_parts, row_columns
from ..core.text import canonical_list
from .answers import probabilities
from .args import LabelArgs
from .prompt import PromptBuilder, PromptSpec, check_answer

log = logging.getLogger("emopulse.label")


def make_backend(args: LabelArgs, labels, cache_dir: str):
    model = args.model
    if args.backend in ("vllm", "transformers"):
        from .gguf import gguf_to_hf, is_gguf

        if is_gguf(model):  # a local .gguf file: dequantized once into an HF directory (label/gguf.py)
            model = gguf_to_hf(model, args.tokenizer, log=log.info)
    if args.backend == "vllm":
        from .vllm_backend import VllmBackend

        return VllmBackend(model, labels, args.tokenizer, args.max_model_len, args.enforce_eager, cache_dir)
    if args.backend == "transformers":
        from .hf_backend import HFBackend

        return HFBackend(model, labels, args.tokenizer, batch_size=min(args.batch_size, 16))
    if args.backend == "openai":
        from .openai_backend import OpenAIBackend

        if not args.base_url:
            raise ValueError("--backend openai needs --base-url")
        return OpenAIBackend(
            args.model,
            labels,
            args.base_url,
            args.tokenizer or args.model,
            args.api_key,
            args.max_concurrency,
            args.retries,
        )
    raise ValueError(f"unknown backend {args.backend!r}")


class Cascade:
    """A classifier bundle answers rows whose top probability reaches the threshold."""

    def __init__(self, bundle_path: str, threshold: float):
        from ..core.backends import build_backend
        from ..core.bundle import load_bundle

        bundle = load_bundle(bundle_path)
        self.predictor = bundle.predictor(2048, 128)
        self.backend = build_backend(bundle.spec)
        self.labels, self.threshold = bundle.labels, threshold

    def __call__(self, texts: list[str]) -> list[tuple[str, dict] | None]:
        preds, _ = self.predictor.predict(pa.array(texts, pa.string()), self.backend)
        probs = np.array(preds.select(schema.prob_cols(self.labels)))
        out = []
        for row in probs:
            if np.isnan(row).any() or row.max() < self.threshold:
                out.append(None)
            else:
                out.append((self.labels[int(row.argmax())], dict(zip(self.labels, map(float, row)))))
        return out


def output_schema(labels, keep: pa.Schema, id_col: str) -> pa.Schema:
    return pa.schema(
        [
            pa.field(id_col, pa.string()),
            *keep,
            pa.field("text", pa.string()),
            pa.field(schema.LABEL_COL, pa.string()),
            *[pa.field(c, pa.float32()) for c in schema.prob_cols(labels)],
            pa.field("confidence", pa.float32()),
            pa.field("source", pa.string()),
            pa.field("prompt_hash", pa.string()),
            pa.field(schema.STATUS_COL, pa.string()),
        ]
    )


def run(args: LabelArgs, backend=None) -> dict:
    """Label the inputs; `backend` reuses an engine already started (tests, benchmarks)."""
    t_start = time.perf_counter()
    spec = PromptSpec.from_file(args.prompt)
    labels = spec.labels
    storage.configure(args.storage_options)
    plan = plan_inputs(
        args.inputs, args.text_col, args.id_col, args.keep_cols, args.skip_bad_files, args.format, args.encoding
    )
    for why in plan.warnings:
        log.warning(why)
    id_col = args.id_col or schema.ID_COL
    parts = plan_parts(plan, args.rows_per_part)
    total = sum(plan.num_rows)
    chosen = None
    if args.sample and args.sample < total:
        chosen = np.zeros(total, bool)
        chosen[np.random.default_rng(args.seed).choice(total, args.sample, replace=False)] = True
    offsets = np.cumsum([0] + plan.num_rows)
    # the engine's compile cache stays on local disk, also when the output is in object storage
    cache_dir = (
        os.path.join(os.path.abspath(args.output), "_cache")
        if not storage.is_remote(args.output)
        else os.path.join(os.path.expanduser("~"), ".cache", "emopulse", "label")
    )
    fingerprint = run_fingerprint(
        {"model": args.model, "backend": args.backend, "labels": labels, "spec": spec.__dict__},
        plan,
        {
            "cascade": args.cascade,
            "threshold": args.threshold if args.cascade else None,
            "sample": args.sample,
            "seed": args.seed,
            "rows_per_part": args.rows_per_part,
        },
    )
    stats = {
        "rows": 0,
        "prompts": 0,
        "duplicates": 0,
        "classifier": 0,
        "ok": 0,
        "invalid": 0,
        "error": 0,
        "null": 0,
        "empty": 0,
        "prompt_tokens": 0,
        "output_tokens": 0,
    }
    timers = Timers()
    with OutputDir(
        args.output,
        fingerprint,
        args.resume,
        args.overwrite,
        planned=[p.name for p in parts],
        inputs=plan.files,
        input_roots=args.inputs,
    ) as out:
        todo = [p for p in parts if p.name not in out.finished]
        backend = backend or make_backend(args, labels, cache_dir)
        # room for the answer (a label is a few tokens) within --max-model-len
        prompts = PromptBuilder(spec, backend.tokenizer, max_tokens=args.max_model_len - 16)
        cascade = Cascade(args.cascade, args.threshold) if args.cascade else None
        target = sum(
            int(chosen[offsets[p.file_index] + p.start : offsets[p.file_index] + p.stop].sum())
            if chosen is not None
            else p.n_rows
            for p in todo
        )
        bar = progress_bar(target, "label", enabled=args.progress, heartbeat=args.heartbeat)
        task = LabelTask(
            plan,
            labels,
            backend,
            prompts,
            cascade,
            args.batch_size,
            stats,
            timers,
            output_schema(labels, plan.keep_schema, id_col),
            id_col,
            chosen,
            offsets,
        )

        def commit(part, tbl, dead):
            with timers.time("write"):
                out.commit(part.name, tbl, dead, file=plan.rel_names[part.file_index], start=part.start, stop=part.stop)
            stats["rows"] += tbl.num_rows
            bar.update(tbl.num_rows)

        try:
            run_local(task, read_parts(plan, todo, skip_bad_files=args.skip_bad_files), commit)
        finally:
            bar.close()
        stats["prompts_truncated"] = prompts.truncated
        wall = time.perf_counter() - t_start
        llm_s = timers.seconds.get("llm", 0.0)
        summary = {
            "backend": args.backend,
            "model": args.model,
            "prompt_hash": prompts.hash,
            "prompt_mode": prompts.mode,
            **stats,
            "seconds": round(wall, 2),
            "llm_seconds": round(llm_s, 2),
            "prompts_per_s": round(stats["prompts"] / llm_s, 2) if llm_s else None,
            "tokens_per_s": round((stats["prompt_tokens"] + stats["output_tokens"]) / llm_s, 1) if llm_s else None,
            "cascade": {
                "bundle": args.cascade,
                "threshold": args.threshold,
                "answered_by_classifier": stats["classifier"],
                "sent_to_llm": stats["prompts"],
            }
            if args.cascade
            else None,
            "parts_written": len(todo),
            "parts_skipped": len(parts) - len(todo),
            "bad_files": plan.bad_files,
            "input_warnings": plan.warnings,
            "stage_seconds": timers.as_dict(),
        }
        return out.finish(summary)


class LabelTask:
    """label as a part task (core/partloop.py): prepare picks the part's rows (a --sample keeps some),
    submit labels them (the classifier cascade, then the LLM, in the calling thread: the LLM engine is
    the device), assemble builds the output and dead-letter rows."""

    def __init__(
        self, plan, labels, backend, prompts, cascade, batch_size, stats, timers, out_schema, id_col, chosen, offsets
    ):
        self.plan, self.labels, self.backend, self.prompts, self.cascade = plan, labels, backend, prompts, cascade
        self.batch_size, self.stats, self.timers, self.out_schema, self.id_col = (
            batch_size,
            stats,
            timers,
            out_schema,
            id_col,
        )
        self.chosen, self.offsets = chosen, offsets

    def prepare(self, part, table):
        if self.chosen is not None:
            g0 = self.offsets[part.file_index] + part.start
            keep = np.flatnonzero(self.chosen[g0 : g0 + part.n_rows])
        else:
            keep = np.arange(part.n_rows)
        base = row_columns(self.plan, part, table, self.id_col, self.stats)
        texts, undecodable = decode_texts(table.column(self.plan.text_col))
        texts = canonical_list(texts)  # the LLM and the cascade read the canonical text (core/text.py)
        return keep, base, texts, undecodable

    def submit(self, prepared):
        keep, _, texts, undecodable = prepared
        return [
            done_future(
                _label_rows(
                    [None if i in undecodable else texts[i] for i in keep],
                    self.labels,
                    self.backend,
                    self.prompts,
                    self.cascade,
                    self.batch_size,
                    self.stats,
                    self.timers,
                )
            )
        ]

    def assemble(self, part, table, prepared, results):
        keep, base, texts, undecodable = prepared
        rows = results[0]
        for k, i in enumerate(keep):  # invalid UTF-8: dead-lettered with the reason, never sent
            if int(i) in undecodable:
                rows["status"][k] = schema.FAILED
                self.stats["failed"] = self.stats.get("failed", 0) + 1
                rows["dead"].append((k, undecodable[int(i)]))
        n_labels = len(self.labels)
        cols = [c.take(keep) for c in base] + [pa.array([texts[i] for i in keep], pa.string())]
        cols += [pa.array(rows["label"], pa.string())]
        cols += [pa.array(rows["p"][:, j], pa.float32(), mask=np.isnan(rows["p"][:, j])) for j in range(n_labels)]
        cols += [
            pa.array(rows["confidence"], pa.float32(), mask=np.isnan(rows["confidence"])),
            pa.array(rows["source"], pa.string()),
            pa.array([self.prompts.hash] * len(keep), pa.string()),
            pa.array(rows["status"], pa.string()),
        ]
        tbl = pa.Table.from_arrays(cols, schema=self.out_schema)
        dead = [(int(keep[k]), reason) for k, reason in rows["dead"]]
        raw = {int(keep[k]): r for k, r in rows["raw"].items()}
        return tbl, dead_table(self.plan, part, table, base[0], dead, self.id_col, {"raw_output": raw})


def _label_rows(texts, labels, backend, prompts, cascade, batch_size, stats, timers) -> dict:
    n, k = len(texts), len(labels)
    res = {
        "label": [None] * n,
        "p": np.full((n, k), np.nan),
        "confidence": np.full(n, np.nan),
        "source": [None] * n,
        "status": [None] * n,
        "dead": [],
        "raw": {},
    }
    todo: dict[str, list[int]] = {}
    for i, t in enumerate(texts):
        if t is None:
            res["status"][i] = schema.NULL_TEXT
        elif not t.strip():
            res["status"][i] = schema.EMPTY_TEXT
        else:
            todo.setdefault(t, []).append(i)
    for s in (schema.NULL_TEXT, schema.EMPTY_TEXT):
        stats[s] += res["status"].count(s)
    distinct = list(todo)
    stats["duplicates"] += sum(len(v) - 1 for v in todo.values())

    def put(text, label, probs, source, status):
        for i in todo[text]:
            res["label"][i], res["source"][i], res["status"][i] = label, source, status
            if probs:
                res["p"][i] = [probs[lab] for lab in labels]
                res["confidence"][i] = probs[label] if label else np.nan

    if cascade and distinct:
        with timers.time("classifier"):
            decided = cascade(distinct)
        for t, d in zip(distinct, decided):
            if d:
                put(t, d[0], d[1], "classifier", schema.OK)
                stats["classifier"] += 1
        distinct = [t for t, d in zip(distinct, decided) if not d]
    for b in range(0, len(distinct), batch_size):
        chunk = distinct[b : b + batch_size]
        with timers.time("llm"):
            answers = backend([prompts(t) for t in chunk])
        stats["prompts"] += len(chunk)
        for t, a in zip(chunk, answers):
            stats["prompt_tokens"] += a.prompt_tokens
            stats["output_tokens"] += a.output_tokens
            label = check_answer(a.text, a.finish_reason, labels)
            if label is None:
                status = "error" if a.error else "invalid"
                reason = a.error or f"output {a.text!r} (finish_reason {a.finish_reason}) is not one of {labels}"
                put(t, None, None, "llm", status)
                stats[status] += 1
                for i in todo[t]:
                    res["dead"].append((i, reason))
                    res["raw"][i] = a.text
            else:
                put(t, label, probabilities(a.token_logprobs, backend.prefixes, labels), "llm", schema.OK)
                stats["ok"] += 1
    return res
