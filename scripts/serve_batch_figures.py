"""The serve-batch figures of the closing note, in one run, on a roberta-base-shaped model.

rows/s of transformers.pipeline (batch 32, given order), of serve-batch with the fp32 and the
int8 bundle, and of the same int8 session fed pre-tokenized, length-sorted batches in memory
(the ceiling serve-batch's overlap should reach). Random weights: speed depends on the shape.

  python scripts/serve_batch_figures.py --data ../shared/data/unlabeled_nsmc_dated.parquet
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pyarrow.parquet as pq

from emopulse.bench.measure import serve_process
from emopulse.core.backends import build_backend
from emopulse.core.batching import make_batches
from emopulse.core.bundle import load_bundle
from emopulse.export import ExportArgs
from emopulse.export import run as export
from emopulse.serve_batch.args import AUTO_BATCH_TOKENS
from emopulse.testing.shapes import build_random_checkpoint


def serve(model, inp, out, *extra):
    s = serve_process(model, inp, out, "--overwrite", *extra)
    wall = s["process_seconds"]
    return {
        "rows": s["rows"],
        "rows_per_s": s["rows"] / wall,
        "engine_rows_per_s": s["rows_per_s"],
        "stage_seconds": s["stage_seconds"],
        "padded_token_ratio": s["padded_token_ratio"],
        "wall_s": wall,
    }


def in_memory(bundle_dir, texts, window=10_000, max_batch_tokens=AUTO_BATCH_TOKENS["cpu"], max_batch_rows=256):
    b = load_bundle(bundle_dir)
    enc = b.encoder()
    backend = build_backend(b.spec)
    batches = []
    for i in range(0, len(texts), window):  # the same windows and budget as serve-batch
        ids, _ = enc.encode(texts[i : i + window])
        batches += make_batches(ids, enc.pad_id, max_batch_tokens, max_batch_rows)
    t0 = time.perf_counter()
    for batch in batches:
        backend(batch)
    wall = time.perf_counter() - t0
    return {"rows": len(texts), "rows_per_s": len(texts) / wall, "wall_s": wall}


def pipeline_rate(ckpt, texts, batch_size=32):
    from transformers import pipeline

    pipe = pipeline("text-classification", model=ckpt)
    pipe(texts[:batch_size], batch_size=batch_size, truncation=True, max_length=256)  # warm-up
    t0 = time.perf_counter()
    pipe(texts, batch_size=batch_size, truncation=True, max_length=256, top_k=None)
    wall = time.perf_counter() - t0
    return {"rows": len(texts), "rows_per_s": len(texts) / wall, "wall_s": wall}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--workdir", default="runs/figures")
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--pipeline-rows", type=int, default=640)
    ap.add_argument("--fp32-rows", type=int, default=4000)
    ap.add_argument("--workers-rows", type=int, default=5000)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    ckpt = os.path.join(a.workdir, "roberta-base-random")
    if not os.path.exists(os.path.join(ckpt, "model.safetensors")):
        build_random_checkpoint(ckpt, "roberta-base")
    bundles = {}
    for p in ("fp32", "int8"):
        bundles[p] = os.path.join(a.workdir, f"bundle-{p}")
        if not os.path.exists(os.path.join(bundles[p], "manifest.json")):
            export(ExportArgs(model=ckpt, output=bundles[p], precision=p, force=True, gate_rows=128))
    t = pq.read_table(a.data, columns=["text", "date", "id"]).slice(0, a.rows)
    inp = os.path.join(a.workdir, f"input-{a.rows}.parquet")
    pq.write_table(t, inp)
    texts = list(t.column("text").to_pylist())
    subsets = {}
    for n in (a.fp32_rows, a.workers_rows):
        subsets[n] = os.path.join(a.workdir, f"input-{n}.parquet")
        pq.write_table(t.slice(0, n), subsets[n])
    rng = np.random.default_rng(0)
    sample = [texts[i] for i in rng.permutation(len(texts))[: a.pipeline_rows] if texts[i]]
    res = {}
    res["pipeline_bs32"] = pipeline_rate(ckpt, sample)
    print(res, flush=True)
    res["serve_int8"] = serve(bundles["int8"], inp, os.path.join(a.workdir, "out-int8"))
    print(res, flush=True)
    res["in_memory_int8"] = in_memory(bundles["int8"], [x for x in texts if x and x.strip()])
    print(res, flush=True)
    res["serve_int8_w1_subset"] = serve(bundles["int8"], subsets[a.workers_rows], os.path.join(a.workdir, "out-w1"))
    res["serve_int8_w2_subset"] = serve(
        bundles["int8"], subsets[a.workers_rows], os.path.join(a.workdir, "out-w2"), "--workers", "2"
    )
    print(res, flush=True)
    res["serve_fp32"] = serve(bundles["fp32"], subsets[a.fp32_rows], os.path.join(a.workdir, "out-fp32"))
    base = res["pipeline_bs32"]["rows_per_s"]
    res["ratios"] = {
        "serve_int8 / pipeline": res["serve_int8"]["rows_per_s"] / base,
        "serve_fp32 / pipeline": res["serve_fp32"]["rows_per_s"] / base,
        "serve_int8 / in_memory_int8": res["serve_int8"]["rows_per_s"] / res["in_memory_int8"]["rows_per_s"],
        "workers2 / workers1": res["serve_int8_w2_subset"]["rows_per_s"] / res["serve_int8_w1_subset"]["rows_per_s"],
    }
    json.dump(res, open(os.path.join(a.workdir, "figures.json"), "w"), indent=2)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
