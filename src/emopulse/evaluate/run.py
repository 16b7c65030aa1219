"""Evaluate a bundle or checkpoint (with its served head) on labelled Parquet rows; write
metrics.json, metrics.md, confusion.png and reliability.png. With --suite, also (or, without
--input, only) run a behavioural test suite (evaluate.suite): behaviour.json and behaviour.md."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

from ..core.bundle import load_bundle, resolve_model
from ..core.errors import EmopulseError
from ..core.metrics import quality
from ..core.options import AUTO_MAX_LENGTH, opt
from ..core.plots import confusion_png, reliability_png
from ..core.predictor import predict_probs
from .suite import SUITES


@dataclass(kw_only=True)
class EvaluateArgs:
    """`emopulse evaluate`: classify labelled rows with a bundle or checkpoint (its served head included)
    and write metrics.json, metrics.md, confusion.png and reliability.png; with `suite`, run a
    behavioural test suite too (behaviour.json, behaviour.md)."""

    data: str | None = opt(
        None, "labelled Parquet (needed unless --suite is given)", flag="--input", aliases=["--data"]
    )
    output: str = opt(help="report directory")
    suite: str | None = opt(
        None,
        "also run a behavioural test suite: 'behaviour' (~200 Korean sentences by capability: plain words, "
        "slang, negation, emoji, typos, questions, sarcasm...); pass rate per capability and the failing "
        "items in behaviour.json and behaviour.md; without --input, only the suite. 'behaviour' is held out "
        "(report it); 'behaviour_dev' (~300 other sentences, the same capabilities) is for choices",
        choices=list(SUITES),
    )
    model: str | None = opt(None, "bundle, .onnx or checkpoint (default: the shipped model)")
    text_col: str = opt("text", "text column")
    label_col: str = opt("label", "label column")
    max_length: int = opt(
        0, "truncate texts to this many tokens, at most the model's own limit; 0: automatic", auto=AUTO_MAX_LENGTH
    )
    threads: int = opt(0, "threads; 0: automatic", auto="all cores")

    def __post_init__(self):
        if not self.data and not self.suite:
            raise EmopulseError("needs --input (labelled Parquet) or --suite behaviour")
        if self.suite and self.suite not in SUITES:
            raise EmopulseError(f"--suite {self.suite!r}: not one of {', '.join(SUITES)}")
        if self.max_length and self.max_length < 8:
            raise EmopulseError(f"--max-length must be 0 (the model's limit) or at least 8, got {self.max_length}")


def run(args: EvaluateArgs) -> dict:
    """The metrics dict (metrics.json) with the suite's report under "behaviour" when `suite` is given;
    without `data`, the suite's report alone (evaluate.suite.behaviour)."""
    if not args.data:
        return run_suite(args)
    from ..train.data import load_labelled

    t0 = time.perf_counter()
    model = resolve_model(args.model)
    labels = load_bundle(model, args.max_length).labels
    data = load_labelled(args.data, args.text_col, args.label_col, labels)
    probs, _ = predict_probs(model, data.texts, args.max_length, args.threads)
    rep = quality(data.labels, probs, labels)
    rep |= {
        "model": os.path.abspath(model),
        "data": os.path.abspath(args.data),
        "data_report": data.report,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "metrics.json"), "w") as f:
        json.dump(rep, f, indent=2, default=str)
    with open(os.path.join(args.output, "metrics.md"), "w") as f:
        f.write(markdown(rep))
    confusion_png(rep, os.path.join(args.output, "confusion.png"), os.path.basename(args.data))
    reliability_png(rep, os.path.join(args.output, "reliability.png"))
    if args.suite:
        rep["behaviour"] = run_suite(args)
    return rep


def run_suite(args: EvaluateArgs) -> dict:
    """The behavioural suite on args.model; behaviour.json and behaviour.md in args.output."""
    from .suite import behaviour, suite_path
    from .suite import markdown as suite_markdown

    rep = behaviour(args.model, suite=suite_path(args.suite), max_length=args.max_length, threads=args.threads)
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "behaviour.json"), "w") as f:
        json.dump(rep, f, indent=2, ensure_ascii=False)
    with open(os.path.join(args.output, "behaviour.md"), "w") as f:
        f.write(suite_markdown(rep))
    return rep


def markdown(rep: dict) -> str:
    labels = rep["labels"]
    lines = [
        f"# Evaluation of `{rep['model']}` on `{rep['data']}`",
        "",
        f"rows {rep['n']}; accuracy **{rep['accuracy']:.4f}**; macro-F1 **{rep['macro_f1']:.4f}**; "
        f"kappa {rep['kappa']:.4f}; ECE {rep.get('ece', float('nan')):.4f}; log-loss {rep.get('nll', float('nan')):.4f}",
        "",
        "| class | precision | recall | F1 | support |",
        "| --- | --- | --- | --- | --- |",
    ]
    for lab in labels:
        lines.append(
            f"| {lab} | {rep['per_class_precision'][lab]:.4f} | {rep['per_class_accuracy'][lab]:.4f} | "
            f"{rep['per_class_f1'][lab]:.4f} | {rep['per_class_support'][lab]} |"
        )
    lines += [
        "",
        "Confusion (rows gold, columns predicted):",
        "",
        "| gold \\ pred | " + " | ".join(labels) + " |",
        "|---" * (len(labels) + 1) + "|",
    ]
    for lab, row in zip(labels, rep["confusion"]):
        lines.append(f"| {lab} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"
