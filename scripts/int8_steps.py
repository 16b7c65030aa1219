"""Where int8 time goes on CPU and what each change buys (the README's "int8 steps" table).

  python scripts/int8_steps.py --checkpoint CKPT --data ../shared/data/unlabeled_nsmc_dated.parquet \
      [--dev runs/recipe/split/dev.parquet] [--rounds 5] [--e2e-rows 4000] --out runs/steps/NAME.json

Session steps: the same length-sorted batches of real comments at bs 8/32/64, every graph run in
interleaved rounds (A, B, C, A, B, C, ...), median ms per batch, and the share of this machine's
int8 GEMM rates (ONNX Runtime MatMulInteger, u8 x s8 and u8 x u8, at the model's own FFN shape,
measured in the same run):
  unfused int8-mixed  optimum's quantizer on the plain export (how the shipped bundle was built)
  fused int8-mixed    fused graph (Attention, SkipLayerNorm, BiasGelu) then dynamic int8 (QAttention)
  fused, no spinning  the same with session.intra_op.allow_spinning=0
  fused int8          every MatMul in int8 (int8-mixed keeps the FFN down-projections in fp32)
  optimized fp32      the fused fp32 graph, for reference
With --dev, each graph's label agreement with the plain fp32 export on those rows.
End to end: serve-batch (Parquet in and out) on --e2e-rows comments with the fused int8-mixed
bundle, workers x threads 1x2 vs 2x1, and token budgets 1024 / 2048 / 4096 per batch.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np
import pyarrow.parquet as pq


def session(path: str, threads: int, spin: bool = True):
    import onnxruntime as ort

    from emopulse.core.backends.onnx import session_options

    so = session_options(threads)
    if not spin:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def feeds(sess, batches) -> list[dict]:
    names = {i.name for i in sess.get_inputs()}
    out = []
    for bt in batches:
        f = {
            "input_ids": bt.input_ids,
            "attention_mask": bt.attention_mask,
            "token_type_ids": np.zeros_like(bt.input_ids),
        }
        out.append({k: v for k, v in f.items() if k in names})
    return out


def graphs(checkpoint: str, work: str) -> dict[str, tuple[str, bool]]:
    from transformers import AutoConfig

    from emopulse.core import convert

    config = AutoConfig.from_pretrained(checkpoint)
    if not os.path.exists(os.path.join(work, convert.PLAIN)):
        convert.export_plain(checkpoint, work, None)
    optimized = convert.optimize(work, config)[0]
    return {
        "unfused int8-mixed": (convert.quantize_int8(work, config, mixed=True, fused=False)[0], True),
        "fused int8-mixed": (convert.quantize_int8(work, config, mixed=True)[0], True),
        "fused int8-mixed, no spinning": (os.path.join(work, "model_quantized_mixed.onnx"), False),
        "fused int8": (convert.quantize_int8(work, config)[0], True),
        "optimized fp32": (optimized, True),
    }


def session_steps(checkpoint, work, texts, dev_texts, rounds, threads) -> dict:
    from transformers import AutoConfig

    from emopulse.bench import ceilings
    from emopulse.core.batching import make_batches
    from emopulse.core.bundle import load_encoder

    config = AutoConfig.from_pretrained(checkpoint)
    enc = load_encoder(checkpoint, 128)
    models = graphs(checkpoint, work)
    sessions = {name: session(p, threads, spin) for name, (p, spin) in models.items()}
    ids, _ = enc.encode(texts)
    order = np.argsort([len(x) for x in ids], kind="stable")
    shape = ceilings.ffn_shape(config)  # the rates at this model's own FFN shape
    res: dict = {
        "ceiling_int8_gemm_ops": ceilings.int8_gemm(*shape, threads=threads),
        "ceiling_int8_u8u8_ops": ceilings.int8_gemm(*shape, threads=threads, signed_weights=False),
        "ceiling_shape": shape,
        "steps": {},
    }
    for bs in (8, 32, 64):
        pick = [ids[i] for i in order[len(order) // 4 : len(order) // 4 + bs * 12]]  # typical lengths
        batches = make_batches(pick, enc.pad_id, max_batch_tokens=10**9, max_batch_rows=bs)
        flops = sum(
            ceilings.flops_per_row(config, float(b.attention_mask.sum()) / len(b.rows)) * len(b.rows) for b in batches
        )
        per = {name: feeds(s, batches) for name, s in sessions.items()}
        times: dict = {name: [] for name in sessions}
        for name, s in sessions.items():  # warm-up
            s.run(None, per[name][0])
        for _ in range(rounds):
            for name, s in sessions.items():
                t0 = time.perf_counter()
                for f in per[name]:
                    s.run(None, f)
                times[name].append(time.perf_counter() - t0)
        for name, ts in times.items():
            med = float(np.median(ts))
            res["steps"].setdefault(name, {})[bs] = {
                "ms_per_batch": med / len(batches) * 1000,
                "rounds_s": ts,
                "int8_ceiling_fraction": flops / med / res["ceiling_int8_gemm_ops"],
                "u8u8_ceiling_fraction": flops / med / res["ceiling_int8_u8u8_ops"],
            }
        print(bs, {n: round(v[bs]["ms_per_batch"], 1) for n, v in res["steps"].items()}, flush=True)
    if dev_texts:
        dids, _ = enc.encode(dev_texts)
        batches = make_batches(dids, enc.pad_id, max_batch_tokens=10**9, max_batch_rows=32)
        ref = _labels(session(os.path.join(work, "model.onnx"), threads), batches, len(dids))
        for name, s in sessions.items():
            res["steps"][name]["agreement_with_fp32"] = float(np.mean(_labels(s, batches, len(dids)) == ref))
    return res


def _labels(sess, batches, n) -> np.ndarray:
    out = np.zeros(n, dtype=np.int64)
    for bt, f in zip(batches, feeds(sess, batches)):
        out[bt.rows] = sess.run(None, f)[0].argmax(1)
    return out


def end_to_end(checkpoint, work, data, rows, rounds, dev) -> dict:
    from emopulse.export import ExportArgs
    from emopulse.export import run as export
    from emopulse.export.run import GateRefused
    from emopulse.serve_batch import ServeBatchArgs
    from emopulse.serve_batch import run as serve

    bundle = os.path.join(work, "bundle-int8-mixed")
    if not os.path.exists(os.path.join(bundle, "manifest.json")):
        kw = dict(calibration=dev, gate_rows=500) if dev else dict(gate_rows=200)
        try:
            export(
                ExportArgs(
                    model=checkpoint,
                    output=bundle,
                    precision="int8-mixed",
                    max_length=128,
                    force=True,
                    overwrite=True,
                    **kw,
                )
            )
        except GateRefused:
            pass  # a random-weights shape has no meaningful gate; its speed still counts
    inp = os.path.join(work, f"e2e-{rows}.parquet")
    pq.write_table(pq.read_table(data, columns=["text"]).slice(0, rows), inp)
    configs = {
        "1 worker x 2 threads, 2048 tokens": dict(workers=1, threads=2),
        "2 workers x 1 thread, 2048 tokens": dict(workers=2, threads=1),
        "1 worker x 2 threads, 1024 tokens": dict(workers=1, threads=2, max_batch_tokens=1024),
        "1 worker x 2 threads, 4096 tokens": dict(workers=1, threads=2, max_batch_tokens=4096),
    }
    out: dict = {name: [] for name in configs}
    for _ in range(rounds):
        for name, kw in configs.items():
            with tempfile.TemporaryDirectory() as o:
                s = serve(
                    ServeBatchArgs(
                        model=bundle, inputs=[inp], output=o, progress=False, id_col="", max_length=128, **kw
                    )
                )
                out[name].append(s["this_invocation"]["rows_per_s"])
        print({n: round(float(np.median(v)), 1) for n, v in out.items()}, flush=True)
    return {name: {"rows_per_s": float(np.median(v)), "rounds": v} for name, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint")
    ap.add_argument("--data")
    ap.add_argument("--dev", default=None, help="labelled dev rows: agreement with fp32 and the export gate")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--e2e-rows", type=int, default=4000)
    ap.add_argument("--out")
    ap.add_argument("--table", help="print the table of an earlier --out JSON and exit")
    a = ap.parse_args()
    if a.table:
        return print(table(json.load(open(a.table))))
    if not (a.checkpoint and a.data and a.out):
        ap.error("--checkpoint, --data and --out are required")
    work = os.path.splitext(a.out)[0] + "-work"
    os.makedirs(work, exist_ok=True)
    texts = [t for t in pq.read_table(a.data, columns=["text"]).slice(0, 4000)["text"].to_pylist() if t and t.strip()]
    dev_texts = pq.read_table(a.dev, columns=["text"])["text"].to_pylist() if a.dev else None
    res = session_steps(a.checkpoint, work, texts, dev_texts, a.rounds, a.threads)
    if a.e2e_rows:
        res["end_to_end"] = end_to_end(a.checkpoint, work, a.data, a.e2e_rows, max(1, a.rounds // 2), a.dev)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=2)
    print(table(res))


def table(res: dict) -> str:
    for per in res["steps"].values():  # batch sizes come back from JSON as strings
        for bs in (8, 32, 64):
            per.setdefault(bs, per.get(str(bs)))
    lines = [
        f"int8 GEMM rate: u8 x s8 {res['ceiling_int8_gemm_ops'] / 1e9:.0f} G op/s, "
        f"u8 x u8 {res['ceiling_int8_u8u8_ops'] / 1e9:.0f} G op/s",
        "",
        "| step | bs 8 ms | bs 32 ms | bs 64 ms | of the u8 x s8 rate (bs 8 / 32 / 64) | of the u8 x u8 rate "
        "(bs 8 / 32 / 64) | agreement with fp32 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, per in res["steps"].items():
        agree = per.get("agreement_with_fp32")
        lines.append(
            f"| {name} | "
            + " | ".join(f"{per[bs]['ms_per_batch']:.1f}" for bs in (8, 32, 64))
            + " | "
            + " / ".join(f"{per[bs]['int8_ceiling_fraction']:.0%}" for bs in (8, 32, 64))
            + " | "
            + " / ".join(f"{per[bs].get('u8u8_ceiling_fraction', 0):.0%}" for bs in (8, 32, 64))
            + " | "
            + (f"{agree:.3f}" if agree is not None else "")
            + " |"
        )
    for name, v in res.get("end_to_end", {}).items():
        lines.append(f"| serve-batch, {name} | {v['rows_per_s']:.0f} rows/s | | | | | |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
