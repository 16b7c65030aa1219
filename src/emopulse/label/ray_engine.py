"""`emopulse label --engine ray`: the LLM stage on Ray Data LLM, for GPU clusters.

A vLLM engine processor (ray.data.llm) gets the same rendered prompt, the same label constraint
(structured_outputs choice), the same logprob_token_ids, and its rows come back through the same
answer check into the same output columns as the local label stage. One engine replica per
`--workers`, each on `--gpus-per-worker` GPUs. Output: Parquet files written by Ray Data
(write_parquet) plus _summary.json; no resume (rerun on the rows still missing).
"""

from __future__ import annotations

import json
import os
import time

from ..core import schema
from .answers import max_answer_tokens, prefix_tokens, probabilities
from .args import LabelArgs
from .prompt import PromptBuilder, PromptSpec, check_answer


def make_preprocess(builder: PromptBuilder, labels, token_ids, text_col: str):
    def preprocess(row: dict) -> dict:
        return {
            "prompt": builder(row[text_col]),
            "sampling_params": {
                "temperature": 0.0,
                "max_tokens": max_answer_tokens(labels),
                "structured_outputs": {"choice": list(labels)},
                "logprob_token_ids": list(token_ids),
            },
            "_keep": {k: row[k] for k in row if k != text_col},
            "_text": row[text_col],
        }

    return preprocess


def make_postprocess(labels, prefixes, prompt_hash: str):
    def postprocess(row: dict) -> dict:
        text, finish = row.get("generated_text"), row.get("finish_reason", "stop")
        label = check_answer(text, finish, labels)
        first = (row.get("logprobs") or [None])[0] or {}
        lps = {int(t): (v["logprob"] if isinstance(v, dict) else float(v)) for t, v in first.items()}
        probs = probabilities(lps, prefixes, labels) if label else None
        out = dict(row.get("_keep") or {})
        out |= {
            "text": row.get("_text"),
            schema.LABEL_COL: label,
            "confidence": probs[label] if probs else None,
            "source": "llm",
            "prompt_hash": prompt_hash,
            schema.STATUS_COL: schema.OK if label else "invalid",
            "raw_output": None if label else text,
        }
        out |= {schema.prob_col(lab): (probs[lab] if probs else None) for lab in labels}
        return out

    return postprocess


def run(args: LabelArgs, workers: int = 1, gpus_per_worker: float = 1.0, address: str | None = None) -> dict:
    import ray
    from ray.data.llm import build_processor, vLLMEngineProcessorConfig
    from transformers import AutoTokenizer

    t0 = time.perf_counter()
    spec = PromptSpec.from_file(args.prompt)
    tok = AutoTokenizer.from_pretrained(args.tokenizer or args.model)
    builder = PromptBuilder(spec, tok)
    prefixes = prefix_tokens(tok, spec.labels)
    ids = sorted({t for ts in prefixes.values() for t in ts})
    if not ray.is_initialized():
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    config = vLLMEngineProcessorConfig(
        model_source=args.model,
        concurrency=workers,
        batch_size=args.batch_size,
        chat_template_stage=False,
        engine_kwargs={
            "enable_prefix_caching": True,
            "max_model_len": args.max_model_len,
            "enforce_eager": args.enforce_eager,
        },
        **({"placement_group_config": {"bundles": [{"GPU": gpus_per_worker}]}} if gpus_per_worker else {}),
    )
    processor = build_processor(
        config,
        preprocess=make_preprocess(builder, spec.labels, ids, args.text_col),
        postprocess=make_postprocess(spec.labels, prefixes, builder.hash),
    )
    ds = ray.data.read_parquet(args.inputs)
    ds = ds.filter(lambda r: bool(r[args.text_col] and str(r[args.text_col]).strip()))
    if args.sample:
        ds = ds.random_sample(min(1.0, args.sample / max(1, ds.count())), seed=args.seed)
    processor(ds).write_parquet(args.output)
    summary = {
        "engine": "ray",
        "backend": "vllm (ray.data.llm)",
        "model": args.model,
        "prompt_hash": builder.hash,
        "seconds": round(time.perf_counter() - t0, 2),
        "workers": workers,
    }
    with open(os.path.join(args.output, "_summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    return summary
