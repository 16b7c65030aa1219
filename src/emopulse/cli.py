"""The `emopulse` command: parses arguments into a stage's dataclass and calls the stage."""
from __future__ import annotations

import argparse
import sys


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _serve_batch(sub) -> None:
    p = sub.add_parser("serve-batch", help="classify Parquet comments in bulk, write Parquet parts",
                       description="Stream Parquet comments through a model bundle (or an HF checkpoint) "
                       "and write predictions as Parquet parts with a manifest; resumable and bounded in memory.")
    p.add_argument("--model", required=True, help="bundle dir from `emopulse export`, an .onnx file next "
                   "to its tokenizer/config, or an HF checkpoint dir (PyTorch backend)")
    p.add_argument("--input", nargs="+", required=True, dest="inputs",
                   help="Parquet files, directories or globs")
    p.add_argument("--output", required=True, help="output directory (read it as a Parquet dataset)")
    p.add_argument("--text-col", default="text", help="column with the comment text (default: text)")
    p.add_argument("--id-col", default=None, help="id column to carry over; without it (or where a file "
                   "lacks it) each row gets '<file>:<row>' as a stable id")
    p.add_argument("--keep-cols", type=_csv, default=[], help="comma-separated input columns to copy "
                   "to the output, e.g. date,source")
    p.add_argument("--workers", type=int, default=1, help="worker processes, each with its own model "
                   "session (on CUDA: one per GPU); output is identical for any count")
    p.add_argument("--threads", type=int, default=0, help="intra-op threads per worker (default: cores / workers)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (CUDA/TensorRT EP for ONNX, fp16 torch)")
    p.add_argument("--dtype", default="fp16", choices=["fp16", "bf16", "fp32"],
                   help="torch backend precision on CUDA (default fp16)")
    p.add_argument("--max-batch-tokens", type=int, default=8192,
                   help="padded-token budget per batch: rows x longest row (default 8192)")
    p.add_argument("--max-batch-rows", type=int, default=256, help="row cap per batch (default 256)")
    p.add_argument("--max-length", type=int, default=256, help="truncate texts to this many tokens; "
                   "clipped to the model's limit; truncated rows are flagged (default 256)")
    p.add_argument("--rows-per-part", type=int, default=10_000, help="rows per output part: also the "
                   "length-sorting window and the unit of resume (default 10000)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resume", action="store_true", help="continue a run: skip finished parts")
    g.add_argument("--overwrite", action="store_true", help="discard what the output dir holds")
    p.add_argument("--skip-bad-files", action="store_true", help="record unreadable or malformed files "
                   "in the summary and go on, instead of stopping before any work")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: only on a terminal)")
    p.add_argument("--engine", default="local", choices=["local", "ray"], help="local threads/processes, "
                   "or Ray Data for a cluster")
    p.add_argument("--address", default=None, help="ray: cluster address (auto, ray://host:10001)")
    p.add_argument("--cpus-per-worker", type=float, default=1.0, help="ray: CPUs per actor")
    p.add_argument("--gpus-per-worker", type=float, default=0.0, help="ray: GPUs per actor")
    p.set_defaults(func=_run_serve_batch)


def _run_serve_batch(ns) -> int:
    from .serve_batch import ServeBatchArgs, run
    from .serve_batch.engine import print_summary
    args = ServeBatchArgs(**{k: v for k, v in vars(ns).items() if k not in ("func", "command")})
    print_summary(run(args))
    return 0


STAGES = [_serve_batch]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="emopulse", description="Emotion classification of Korean "
                                     "comments at population scale: train, label, export, serve-batch, "
                                     "index, bench.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in STAGES:
        add(sub)
    return parser


def main(argv=None) -> int:
    from .core.errors import EmopulseError
    ns = build_parser().parse_args(argv)
    try:
        return ns.func(ns)
    except (EmopulseError, FileNotFoundError) as exc:
        print(f"emopulse {ns.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"emopulse {ns.command}: interrupted; finished parts are kept (use --resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
