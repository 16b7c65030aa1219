"""bench: interleaved runs of every variant, per batch size, against the obvious alternatives."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..core import convert
from ..core.backends import BackendSpec
from ..core.bundle import TextEncoder, load_encoder, model_max_length
from ..core.errors import InputError
from ..core.manifest import MANIFEST, read_manifest
from ..core.progress import progress_bar
from . import ceilings
from .args import BenchArgs
from .report import write_reports
from .variants import Pipeline, SortedBackend, Variant

BASELINES = ("pipeline", "optimum")
E2E = "serve-batch"


def sample_texts(path: str, text_col: str, rows: int) -> list[str]:
    if not os.path.exists(path):
        raise InputError(f"{path}: no such data file")
    try:
        col = pq.read_table(path, columns=[text_col]).column(text_col).to_pylist()
    except (pa.ArrowException, KeyError) as exc:
        raise InputError(f"{path}: cannot read text column {text_col!r} ({exc})") from exc
    texts = [t for t in col if t and t.strip()]
    pick = np.random.default_rng(0).permutation(len(texts))[:rows]
    return [texts[i] for i in pick]


def resolve(args: BenchArgs) -> tuple[str | None, dict, dict]:
    """(checkpoint or None, {precision: onnx path}, bundle manifest or {})."""
    path = args.model
    if os.path.exists(os.path.join(path, MANIFEST)):
        manifest = read_manifest(path)
        return (
            manifest.checkpoint_dir(path),
            {f"bundle-{manifest.precision}": os.path.join(path, manifest.model_file)},
            manifest.to_dict(),
        )
    if os.path.exists(os.path.join(path, "config.json")):
        return path, {}, {}
    raise InputError(f"{path}: neither an emopulse bundle nor an HF checkpoint dir")


def build_onnx_variants(checkpoint: str, work: str, device: str, skipped: dict) -> dict:
    """fp32 / optimized / int8 (CPU) or fp16 (CUDA) next to each other, reused across runs."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(checkpoint)
    os.makedirs(work, exist_ok=True)
    if not os.path.exists(os.path.join(work, convert.PLAIN)):
        convert.export_plain(checkpoint, work, None)
    out = {"fp32": os.path.join(work, convert.PLAIN)}
    for precision in ("optimized", "fp16") if device.startswith("cuda") else ("optimized", "int8", "int8-mixed"):
        try:
            done = {
                "optimized": "model_optimized.onnx",
                "int8": "model_quantized.onnx",
                "int8-mixed": "model_quantized_mixed.onnx",
                "fp16": "model_fp16.onnx",
            }[precision]
            out[precision] = (
                os.path.join(work, done)
                if os.path.exists(os.path.join(work, done))
                else convert.build(precision, work, config)[0]
            )
        except Exception as exc:  # noqa: BLE001 - a variant that cannot be built is skipped
            skipped[f"onnx-{precision}"] = f"could not build: {type(exc).__name__}: {exc}"
    return out


def plan_variants(args: BenchArgs, checkpoint, onnx: dict, encoder: TextEncoder, skipped: dict):
    dev, thr = args.device, args.threads
    cands: list[Variant] = []
    if checkpoint:
        cands.append(Pipeline("pipeline", checkpoint, encoder, dev))
        if "fp32" in onnx:
            cands.append(
                Pipeline(
                    "optimum", checkpoint, encoder, dev, os.path.dirname(onnx["fp32"]), os.path.basename(onnx["fp32"])
                )
            )
        cands.append(SortedBackend("torch-sorted", BackendSpec("torch", checkpoint, dev, thr, "fp16"), encoder))
    else:
        skipped.update(
            dict.fromkeys(("pipeline", "optimum", "torch-sorted"), "needs the source checkpoint (not found)")
        )
    for precision, path in onnx.items():
        if dev.startswith("cuda") and "int8" in precision:
            skipped[f"onnx-{precision}"] = "int8 models are for the CPU provider"
            continue
        cands.append(SortedBackend(f"onnx-{precision}", BackendSpec("onnx", path, dev, thr), encoder))
    wanted = set(args.variants) if args.variants else None
    return [v for v in cands if wanted is None or v.name in wanted]


def run_budgeted(v: Variant, texts, batch_size, seconds: float, chunk_rows: int) -> list:
    """Chunks of `texts` until they are done or `seconds` have passed (at least one batch runs)."""
    timings, deadline = [], time.perf_counter() + seconds
    for i in range(0, len(texts), chunk_rows):
        timings += v.run_chunk(texts[i : i + chunk_rows], batch_size, deadline)
        if time.perf_counter() > deadline:
            break
    return timings


def serve_process(model: str, inp: str, out: str, *extra: str) -> dict:
    """serve-batch in its own process (start-up included, as a user runs it): its _summary.json's
    `this_invocation` plus `process_seconds`. RuntimeError with serve-batch's last stderr line when it fails."""
    cmd = [sys.executable, "-m", "emopulse", "serve-batch", "--model", model, "--input", inp, "--output", out]
    cmd += ["--no-progress", *extra]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode:
        raise RuntimeError(res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "failed")
    return json.load(open(os.path.join(out, "_summary.json")))["this_invocation"] | {"process_seconds": wall}


def run_e2e(model: str, data_path: str, args: BenchArgs) -> dict:
    """serve-batch end to end (Parquet in, Parquet out, process start included), default settings."""
    extra = ["--device", args.device, "--max-length", str(args.max_length or 0)]
    extra += ["--threads", str(args.threads)] if args.threads else []
    with tempfile.TemporaryDirectory() as out:
        return serve_process(model, data_path, out, *extra)


def compare_models(args: BenchArgs, data_path: str) -> dict:
    """--model and every --compare model: serve-batch end to end in interleaved rounds (speed paired
    with --model within each round) and, with --labelled, accuracy and macro-F1 on those rows."""
    from ..evaluate import EvaluateArgs
    from ..evaluate import run as evaluate

    models = [args.model] + [m for m in args.compare or [] if m != args.model]
    speed: dict = {m: [] for m in models}
    for _ in range(args.repeat):
        for m in models:
            s = run_e2e(m, data_path, args)
            speed[m].append(s["rows"] / s["process_seconds"])
    base = np.array(speed[args.model])
    out = {}
    for m in models:
        rps = np.array(speed[m])
        row = {
            "precision": read_manifest(m).precision if os.path.exists(os.path.join(m, MANIFEST)) else "checkpoint",
            "layers": json.load(open(os.path.join(m, "config.json"))).get("num_hidden_layers")
            if os.path.exists(os.path.join(m, "config.json"))
            else None,
            "rows_per_s": float(np.median(rps)),
            "rows_per_s_repeats": rps.tolist(),
            "speed_vs_model": float(np.median(rps / base)),
        }
        if args.labelled:
            with tempfile.TemporaryDirectory() as d:
                q = evaluate(
                    EvaluateArgs(
                        model=m, data=args.labelled, output=d, max_length=args.max_length, threads=args.threads
                    )
                )
            row |= {"accuracy": q["accuracy"], "macro_f1": q["macro_f1"], "labelled_rows": q["n"]}
        out[m] = row
    return out


def run(args: BenchArgs) -> dict:
    if args.host_only:
        from .host import run_host

        report = run_host(args)
        return {"variants": {t["host_threads"]: t for t in report["threads"]}, "skipped": {}, "host": report}
    texts = sample_texts(args.data, args.text_col, args.rows)
    checkpoint, onnx, manifest = resolve(args)
    os.makedirs(args.output, exist_ok=True)
    skipped: dict[str, str] = {}
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            skipped["all cuda variants"] = "torch sees no CUDA device on this machine"
            return write_reports(args, {}, {}, {}, skipped, {}, {}, None, {})
    if checkpoint:
        try:
            onnx = build_onnx_variants(checkpoint, os.path.join(args.output, "_models"), args.device, skipped) | onnx
        except Exception as exc:  # noqa: BLE001 - e.g. optimum missing: the ONNX variants are skipped
            skipped["onnx-*"] = f"could not export: {type(exc).__name__}: {exc}"
    from transformers import AutoConfig

    model_dir = checkpoint or args.model
    encoder = load_encoder(
        model_dir, min(args.max_length or 1 << 30, model_max_length(os.path.join(model_dir, "config.json")))
    )
    config = AutoConfig.from_pretrained(model_dir)
    variants = plan_variants(args, checkpoint, onnx, encoder, skipped)

    # the GEMM rates at this model's own FFN shape (512 tokens x hidden x intermediate)
    shape = ceilings.ffn_shape(config)
    ceil = {
        "fp32": ceilings.fp32_gemm(*shape, threads=args.threads),
        "int8": ceilings.int8_gemm(*shape, threads=args.threads),
    }
    if convert.int8_weight_type(convert.cpu_kernel_config()).name == "QUInt8":
        # the kernel this CPU's int8 bundles run (u8 x u8): its own rate, next to the machine's best
        ceil["int8_u8u8"] = ceilings.int8_gemm(*shape, threads=args.threads, signed_weights=False)
    if args.device.startswith("cuda"):
        ceil["fp16"] = ceilings.fp16_gemm_cuda()

    # serve-batch end to end: the bundle given, else the fastest ONNX model for the device, else
    # the checkpoint itself (PyTorch backend; fp16 on CUDA)
    e2e_model = (
        (manifest and args.model)
        or onnx.get("fp16" if args.device.startswith("cuda") else "int8")
        or onnx.get("fp32")
        or checkpoint
    )
    data_path = os.path.join(args.output, "_rows.parquet")
    pq.write_table(pa.table({"text": texts}), data_path)
    want_e2e = e2e_model and (not args.variants or E2E in args.variants)

    runs: dict = {v.name: {bs: [] for bs in args.batch_sizes} for v in variants}
    cold: dict = {}
    e2e: list = []
    # --max-seconds is the whole measurement's budget: each (round, batch size, variant) slice gets an
    # equal share of what is left; a serve-batch round (a process start) runs only while time is left
    slices = args.repeat * len(args.batch_sizes) * len(variants)
    deadline = time.perf_counter() + args.max_seconds
    bar = progress_bar(slices + (args.repeat if want_e2e else 0), "bench", unit="runs")
    for r in range(args.repeat):
        for bs in args.batch_sizes:
            for v in list(variants):
                share = max(0.0, deadline - time.perf_counter()) / max(1, slices)
                slices -= 1
                bar.set_description(f"bench: {v.name} batch {bs} round {r + 1}")
                try:
                    if v.name not in cold:
                        t0 = time.perf_counter()
                        v.setup()
                        cold[v.name] = time.perf_counter() - t0
                    runs[v.name][bs].append(run_budgeted(v, texts, bs, share, args.chunk_rows))
                except Exception as exc:  # noqa: BLE001 - a broken variant never stops the run
                    skipped[v.name] = f"{type(exc).__name__}: {exc}"
                    variants.remove(v)
                    runs.pop(v.name, None)
                bar.update(1)
        if want_e2e and e2e and time.perf_counter() > deadline:
            skipped[E2E + f" rounds {r + 1}-{args.repeat}"] = (
                f"not run: the --max-seconds {args.max_seconds:g} budget was spent ({len(e2e)} round(s) measured)"
            )
            want_e2e = False
        if want_e2e:
            bar.set_description(f"bench: serve-batch end to end, round {r + 1}")
            try:
                e2e.append(run_e2e(e2e_model, data_path, args))
            except Exception as exc:  # noqa: BLE001
                skipped[E2E] = str(exc)
                want_e2e = False
            bar.update(1)
    bar.close()
    models = compare_models(args, data_path) if args.compare or args.labelled else {}
    env = environment(args)
    return write_reports(args, runs, cold, {"e2e": e2e, "model": e2e_model}, skipped, ceil, env, config, models)


def environment(args: BenchArgs) -> dict:
    import onnxruntime
    import torch
    import transformers

    env = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": platform.processor(),
        "cores": os.cpu_count(),
        "threads": args.threads or os.cpu_count(),
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "transformers": transformers.__version__,
        "cpu_kernels": convert.cpu_kernel_config(),
    }
    try:
        env["cpu_model"] = next(
            line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    if args.device.startswith("cuda"):
        env["gpu"] = torch.cuda.get_device_name(0)
    return env
