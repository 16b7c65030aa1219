"""Where inference time goes, per operator type, from ONNX Runtime's own profiler.

  python scripts/profile_ops.py runs/static/int8 runs/static/int8-static-percentile ... \
      --data ../shared/data/unlabeled_nsmc_dated.parquet [--batch-sizes 8,32,64] [--threads 2]

For each bundle and batch size: real comments tokenized and length-sorted like serve-batch, then
run with SessionOptions.enable_profiling; the trace's kernel times are summed per op type
(MatMulInteger, DynamicQuantizeLinear, attention, LayerNorm, ...). Prints a markdown table of the
top operators' share of kernel time and the ms per batch.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import tempfile

import numpy as np
import pyarrow.parquet as pq


def profile(bundle: str, texts: list[str], bs: int, threads: int, batches: int = 20) -> tuple[dict, float]:
    import onnxruntime as ort

    from emopulse.core.batching import bucket_for, make_batches
    from emopulse.core.bundle import load_bundle

    b = load_bundle(bundle, 128, "cpu", threads)
    enc = b.encoder()
    ids, _ = enc.encode(texts)
    order = np.argsort([len(x) for x in ids])
    ids = [ids[i] for i in order[len(order) // 4 : len(order) // 4 + bs * batches]]  # typical lengths
    bts = make_batches(ids, enc.pad_id, max_batch_tokens=10**9, max_batch_rows=bs, bucket=bucket_for(b.precision))
    tmp = tempfile.mkdtemp(prefix="emopulse-prof-")
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.enable_profiling = True
    so.profile_file_prefix = os.path.join(tmp, "p")
    sess = ort.InferenceSession(b.spec.path, so, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    for bt in bts[:2]:  # warm-up
        sess.run(None, _feed(bt, names))
    import time

    t0 = time.perf_counter()
    for bt in bts:
        sess.run(None, _feed(bt, names))
    per_batch = (time.perf_counter() - t0) / len(bts) * 1000
    trace = sess.end_profiling()
    events = json.load(open(trace))
    by_op = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time"):
            by_op[e["args"].get("op_name", "?")] += e["dur"]
    for f in glob.glob(os.path.join(tmp, "*")):
        os.remove(f)
    return dict(by_op), per_batch


def _feed(bt, names):
    feed = {"input_ids": bt.input_ids, "attention_mask": bt.attention_mask}
    if "token_type_ids" in names:
        feed["token_type_ids"] = np.zeros_like(bt.input_ids)
    return {k: v for k, v in feed.items() if k in names}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("bundles", nargs="+")
    ap.add_argument("--data", required=True)
    ap.add_argument("--batch-sizes", default="8,32,64")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--top", type=int, default=6)
    a = ap.parse_args()
    texts = [t for t in pq.read_table(a.data, columns=["text"]).slice(0, 4000)["text"].to_pylist() if t and t.strip()]
    print("| bundle | batch | ms / batch | top operators (share of kernel time) |")
    print("| --- | --- | --- | --- |")
    for bundle in a.bundles:
        for bs in [int(x) for x in a.batch_sizes.split(",")]:
            ops, ms = profile(bundle, texts, bs, a.threads)
            total = sum(ops.values()) or 1
            top = ", ".join(f"{k} {v / total:.0%}" for k, v in sorted(ops.items(), key=lambda kv: -kv[1])[: a.top])
            print(f"| {os.path.basename(bundle.rstrip('/'))} | {bs} | {ms:.1f} | {top} |", flush=True)


if __name__ == "__main__":
    main()
