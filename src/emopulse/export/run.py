"""export: check the checkpoint, build precisions, gate them, write the bundle.

The bundle is assembled in a temporary directory next to the output and renamed into place,
so a bundle directory is either complete or absent. A candidate that fails the gate is still
written (for inspection) but with "ready": false, and the command exits non-zero.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time

from ..core import convert
from ..core.bundle import load_encoder, model_max_length, read_labels, sha256_text
from ..core.errors import BundleError, OutputError
from ..core.head import HEAD_FILES
from ..core.manifest import BundleManifest, write_manifest
from ..core.progress import progress_bar
from ..core.storage import sha256 as sha256_file
from .args import ExportArgs
from .gate import gate_sample, run_gate, verdict

# auto: one answer per text first (core/batching.py); dynamic int8 only when asked for by name
LADDER = {"cpu": ["int8-weights", "int8-static", "optimized", "fp32"], "cuda": ["fp16", "optimized", "fp32"]}
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
    "vocab.txt",
    "sentencepiece.bpe.model",
    "added_tokens.json",
)


class GateRefused(Exception):
    exit_code = 3

    def __init__(self, message: str, manifest: dict):
        super().__init__(message)
        self.manifest = manifest


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_work_dirs(parent: str) -> None:
    """Work dirs of exports that were killed (their process is gone) are removed; a previous
    bundle a killed export had moved aside is put back first if nothing replaced it."""
    for name in os.listdir(parent):
        if name.startswith(".emopulse-export-"):
            pid, work = name.split("-")[2], os.path.join(parent, name)
            if pid.isdigit() and not _alive(int(pid)):
                previous, target_file = os.path.join(work, "previous"), os.path.join(work, "target")
                if os.path.isdir(previous) and os.path.exists(target_file):
                    target = open(target_file).read().strip()
                    if target and not os.path.exists(target):
                        os.replace(previous, target)
                shutil.rmtree(work, ignore_errors=True)


def replace_dir(new: str, target: str, work: str) -> None:
    """Atomic replace: the old bundle is renamed aside (into the work dir), the new one renamed
    in, then the old one removed with the work dir. A kill at any moment leaves either the old
    complete bundle, the new complete bundle, or none — never a mix."""
    if os.path.exists(target):
        os.replace(target, os.path.join(work, "previous"))
    os.replace(new, target)


def check_checkpoint(path: str):
    from transformers import AutoConfig

    if not os.path.isdir(path) or not os.path.exists(os.path.join(path, "config.json")):
        raise BundleError(f"{path}: not an HF checkpoint directory (no config.json)")
    config = AutoConfig.from_pretrained(path)
    archs = config.architectures or []
    if not any(a.endswith("ForSequenceClassification") for a in archs):
        raise BundleError(
            f"{path}: not a sequence-classification checkpoint (architectures: {archs}); "
            "fine-tune it first with `emopulse train`"
        )
    labels = read_labels(os.path.join(path, "config.json"))
    weights = sorted(f for f in os.listdir(path) if f.endswith(".safetensors"))
    if not weights:
        raise BundleError(f"{path}: no safetensors weights (emopulse loads no pickled weights)")
    return config, labels, weights


def check_output(args: ExportArgs) -> None:
    if os.path.exists(args.output) and not args.overwrite:
        raise OutputError(f"{args.output}: exists; pass --overwrite to replace it")
    parent = os.path.dirname(os.path.abspath(args.output))
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{args.output}: cannot create its parent directory ({exc})") from exc
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{args.output}: cannot write there (parent {parent} is not writable)")


def _has_cuda_ep() -> bool:
    from ..core.backends.onnx import available_providers

    return "CUDAExecutionProvider" in available_providers()


def _versions() -> dict:
    from importlib.metadata import version

    import onnxruntime
    import optimum
    import transformers

    return {
        "onnxruntime": onnxruntime.__version__,
        "optimum": optimum.__version__ if hasattr(optimum, "__version__") else version("optimum"),
        "optimum_onnx": version("optimum-onnx"),
        "transformers": transformers.__version__,
    }


def source_checkpoint(model: str, output: str) -> str:
    """The checkpoint's path relative to the bundle directory (bench finds it again from there)."""
    return os.path.relpath(os.path.abspath(model), os.path.abspath(output))


def run(args: ExportArgs) -> dict:
    from ..core import quiet

    quiet.install()
    if args.device == "cuda" and args.precision.startswith("int8"):
        raise BundleError("int8 models are for the CPU provider; use --precision fp16 for --device cuda")
    config, labels, weights = check_checkpoint(args.model)
    check_output(args)
    max_length = min(args.max_length, model_max_length(os.path.join(args.model, "config.json")))
    encoder = load_encoder(args.model, max_length)
    texts, gold, sample_source = gate_sample(
        args.model, args.calibration, args.text_col, args.label_col, args.gate_rows
    )
    # The gate runs where the bundle will run when it can; an fp16 bundle is gated on the CPU
    # provider when this machine has no CUDA (slower, same arithmetic up to kernel differences).
    device = "cuda" if args.device == "cuda" and _has_cuda_ep() else "cpu"
    ladder = LADDER[args.device] if args.precision == "auto" else [args.precision]

    parent = os.path.dirname(os.path.abspath(args.output))
    remove_stale_work_dirs(parent)
    work = tempfile.mkdtemp(prefix=f".emopulse-export-{os.getpid()}-", dir=parent)
    with open(os.path.join(work, "target"), "w") as f:
        f.write(os.path.abspath(args.output))
    bar = progress_bar(1 + 2 * len(ladder), "export: ONNX graph", unit="steps", enabled=args.progress)
    try:
        t0 = time.perf_counter()
        convert.export_plain(args.model, work, args.opset)
        bar.update(1)
        tried, paths, references = [], [], {}
        for precision in ladder:  # fastest first: the first that passes is the one
            bar.set_description(f"export: build {precision}")
            path, tool = convert.build(precision, work, config, encoder, texts, args.static_method)
            bar.update(1)
            bar.set_description(f"export: gate {precision} on {len(texts)} rows")
            figures = run_gate(args.model, path, encoder, labels, texts, gold, device, precision, references)
            bar.update(1)
            ok, why = verdict(figures, args.min_agreement, args.max_f1_drop, args.max_abs_diff, args.min_macro_f1)
            tried.append({"precision": precision, "tool": tool, "passed": ok, "gate": figures | {"verdict": why}})
            paths.append(path)
            if ok:
                break
        # None passed: with --force, the fastest candidate; without, the last one, for inspection.
        k = len(tried) - 1 if tried[-1]["passed"] or not args.force else 0
        precision, tool, ok, path = tried[k]["precision"], tried[k]["tool"], tried[k]["passed"], paths[k]
        figures = {key: v for key, v in tried[k]["gate"].items() if key != "verdict"}
        why = tried[k]["gate"]["verdict"]

        bundle = os.path.join(work, "bundle")
        os.makedirs(bundle)
        convert.copy_model_file(path, bundle)
        for f in TOKENIZER_FILES + HEAD_FILES + ("config.json",):
            if os.path.exists(os.path.join(args.model, f)):
                shutil.copyfile(os.path.join(args.model, f), os.path.join(bundle, f))
        import onnx

        manifest = {
            "ready": bool(ok or args.force),
            "forced": bool(args.force and not ok),
            "precision": precision,
            "target": args.device,
            "model_file": "model.onnx",
            "model_sha256": sha256_file(os.path.join(bundle, "model.onnx")),
            "tool": tool,
            "labels": labels,
            "max_length": max_length,
            "opset": onnx.load(os.path.join(bundle, "model.onnx"), load_external_data=False).opset_import[0].version,
            # relative to the bundle: a shipped bundle names no build machine's directories
            "source_checkpoint": source_checkpoint(args.model, args.output),
            "source_sha256": sha256_text(",".join(sha256_file(os.path.join(args.model, w)) for w in weights)),
            "tokenizer_sha256": encoder.fingerprint(),
            "gate": figures
            | {
                "verdict": why,
                "sample": sample_source,
                "thresholds": {
                    "min_agreement": args.min_agreement,
                    "max_f1_drop": args.max_f1_drop,
                    "max_abs_diff": args.max_abs_diff,
                    "min_macro_f1": args.min_macro_f1,
                },
                "device": device,
            },
            "tried": tried,
            "versions": _versions(),
            "export_seconds": round(time.perf_counter() - t0, 2),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        write_manifest(bundle, BundleManifest.from_dict(manifest))  # typed: a wrong field fails here
        replace_dir(bundle, args.output, work)
    finally:
        bar.close()
        shutil.rmtree(work, ignore_errors=True)
    if not manifest["ready"]:
        raise GateRefused(
            f"{args.output}: the accuracy gate refused every candidate "
            f"({'; '.join(t['precision'] + ' ' + t['gate']['verdict'] for t in tried)}); "
            "the bundle is written but not marked ready (use --force to override)",
            manifest,
        )
    return manifest
