"""`emopulse distill`: a shallower student for CPU throughput, trained on a teacher's probabilities.

The student is the teacher's architecture with `--layers` of its transformer layers (taken evenly
spaced, DistilBERT-style, so it starts close to the teacher), its embeddings and classifier copied.
Targets are the teacher's *served* probabilities (head included: n-gram member, temperature) on
unlabelled in-domain comments, as `serve-batch --keep-cols text` writes them, so the student learns
what users were served, not the bare encoder. Loss: cross-entropy against those soft targets.
With `--labelled` files, their rows join as one-hot targets; with `--layers` equal to the teacher's depth
that is an anchored fine-tune (Learning without Forgetting, Li & Hoiem 2016): the model learns the labelled
rows while its served answers on in-domain comments stay the anchor (how `make model`'s anchored round
teaches negation forms without the native log-loss drift of a plain further-transfer round).
The result is an ordinary checkpoint (safetensors, id2label, eval_sample.parquet for the gate):
`emopulse export` and `evaluate` take it like any other.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import time
from dataclasses import dataclass

import numpy as np
import pyarrow.dataset as ds

from ..core.bundle import model_max_length
from ..core.errors import EmopulseError, InputError
from ..core.options import opt
from .data import load_labelled

log = logging.getLogger("emopulse.distill")


@dataclass(kw_only=True)
class DistillArgs:
    """`emopulse distill`: train a shallower student on a teacher's probabilities over unlabelled
    in-domain comments; write a checkpoint that export/evaluate take like any other."""

    teacher: str = opt(help="the teacher's fine-tuned checkpoint dir (architecture, tokenizer, labels)")
    data: str = opt(
        help="the teacher's serve-batch predictions with the text kept (--keep-cols text): "
        "p_<label> columns are the targets",
        flag="--input",
    )
    output: str = opt(help="student checkpoint directory to write")
    layers: int = opt(6, "transformer layers of the student (taken evenly spaced from the teacher)")
    labelled: list[str] = opt(
        help="labelled Parquet files (columns named by --text-col/--label-col, default text/label, one pair for every file) learnt as one-hot targets next to the teacher's rows "
        "(each file deduplicated; a text in two files counts twice)",
        nargs="+",
        factory=list,
    )
    eval: str | None = opt(
        None, "labelled Parquet (native rows) for the student's validation figures and the export gate's sample"
    )
    text_col: str = opt("text", "text column of the --labelled and --eval files")
    label_col: str = opt("label", "label column of the --labelled and --eval files")
    epochs: float = opt(1.0, "passes over the data")
    lr: float = opt(5e-5, "peak learning rate (linear warm-up 6 %, linear decay)")
    batch_size: int = opt(32, "rows per step")
    max_length: int = opt(128, "max tokens per text")
    max_rows: int | None = opt(None, "use at most N rows of --input (seeded sample)")
    min_confidence: float = opt(0.0, "drop rows whose teacher confidence (top probability) is lower")
    seed: int = opt(0, "seed")
    overwrite: bool = opt(False, "replace an existing output directory")

    def __post_init__(self):
        if self.layers < 1 or self.batch_size < 1 or self.epochs <= 0 or self.lr <= 0:
            raise EmopulseError("--layers and --batch-size must be >= 1, --epochs and --lr > 0")


def _targets(args: DistillArgs, labels: list[str]) -> tuple[list[str], np.ndarray, dict]:
    try:
        t = ds.dataset(args.data, format="parquet").to_table()
    except Exception as exc:
        raise InputError(f"{args.data}: cannot read the teacher's predictions ({exc})") from exc
    cols = [f"p_{lab}" for lab in labels]
    missing = [c for c in ["text"] + cols if c not in t.column_names]
    if missing:
        raise InputError(
            f"{args.data}: no {', '.join(missing)} column(s); run serve-batch with the teacher and --keep-cols text"
        )
    from ..core.text import canonical

    texts = canonical(t.column("text")).to_pylist()  # the student is fit on what serving feeds it
    p = np.column_stack([t.column(c).to_numpy(zero_copy_only=False) for c in cols]).astype(np.float32)
    ok = np.array([bool(x and x.strip()) for x in texts]) & np.isfinite(p).all(1) & (p.max(1) >= args.min_confidence)
    idx = np.flatnonzero(ok)
    if args.max_rows and len(idx) > args.max_rows:
        idx = np.sort(np.random.default_rng(args.seed).choice(idx, args.max_rows, replace=False))
    if not len(idx):
        raise InputError(f"{args.data}: no usable row (text and finite probabilities)")
    p = p[idx] / p[idx].sum(1, keepdims=True)
    texts, reports = [texts[i] for i in idx], {}
    if args.labelled:
        for path in args.labelled:
            lt, golds, reports[path] = load_labelled(path, args.text_col, args.label_col, labels)
            texts += lt
            p = np.concatenate([p, np.eye(len(labels), dtype=np.float32)[[labels.index(g) for g in golds]]])
            r = reports[path]
            dropped = ", ".join(
                f"{r[k]:,} {k.replace('_', ' ')}" for k in ("empty", "unknown_label", "duplicates") if r.get(k)
            )
            log.info(
                f"{path}: {len(lt):,} labelled rows (one-hot targets)"
                + (f"; dropped {dropped}" if dropped else "")
                + (f" {r['unknown_values']}" if r.get("unknown_label") else "")
            )
    return texts, p, reports


def student_from(teacher, layers: int):
    """A copy of the teacher keeping `layers` evenly spaced transformer layers (all of them when `layers`
    equals the teacher's depth: self-distillation, the served head folded into the encoder)."""
    import copy

    import torch

    n = teacher.config.num_hidden_layers
    if layers > n:
        raise EmopulseError(f"--layers {layers}: the teacher has only {n}")
    keep = sorted({round(i * (n - 1) / max(1, layers - 1)) for i in range(layers)}) if layers > 1 else [n - 1]
    student = copy.deepcopy(teacher)
    enc = student.base_model.encoder
    enc.layer = torch.nn.ModuleList([enc.layer[i] for i in keep])
    student.config.num_hidden_layers = layers
    return student, keep


def run(args: DistillArgs) -> dict:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from ..core.metrics import report

    if os.path.exists(args.output) and os.listdir(args.output) and not args.overwrite:
        raise EmopulseError(f"{args.output}: exists; pass --overwrite")
    torch.manual_seed(args.seed)
    teacher = AutoModelForSequenceClassification.from_pretrained(args.teacher)
    labels = [teacher.config.id2label[i] for i in range(teacher.config.num_labels)]
    tok = AutoTokenizer.from_pretrained(args.teacher)
    student, kept = student_from(teacher, args.layers)  # a wrong --layers fails before any data is read
    del teacher
    # the model's own position limit (a smaller checkpoint than --max-length allows would fail mid-batch)
    max_length = min(args.max_length, model_max_length(student.config.to_dict()))
    ev = None
    if args.eval:  # read before training: a bad --eval file must not cost a training run
        ev = load_labelled(args.eval, args.text_col, args.label_col, labels)
    texts, target, labelled_reports = _targets(args, labels)
    student.train()
    # length-grouped batches in a shuffled order: little padding, still random
    lengths = np.array([len(t) for t in texts])
    rng = np.random.default_rng(args.seed)
    steps_per_epoch = math.ceil(len(texts) / args.batch_size)
    total = max(1, int(steps_per_epoch * args.epochs))
    opt_ = torch.optim.AdamW(student.parameters(), lr=args.lr, weight_decay=0.01)
    warm = max(1, int(0.06 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt_, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm)))
    )
    t0, step, losses = time.perf_counter(), 0, []
    while step < total:
        order = rng.permutation(len(texts))
        chunks = [order[i : i + args.batch_size * 50] for i in range(0, len(order), args.batch_size * 50)]
        batches = []
        for c in chunks:
            c = c[np.argsort(lengths[c], kind="stable")]
            batches += [c[i : i + args.batch_size] for i in range(0, len(c), args.batch_size)]
        for b in [batches[i] for i in rng.permutation(len(batches))]:
            if step >= total:
                break
            enc = tok([texts[i] for i in b], truncation=True, max_length=max_length, padding=True, return_tensors="pt")
            logits = student(**enc).logits
            loss = -(torch.from_numpy(target[b]) * torch.log_softmax(logits, -1)).sum(-1).mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
            opt_.step()
            sched.step()
            opt_.zero_grad()
            losses.append(float(loss.detach()))
            step += 1
            if step % 50 == 0 or step == total:
                rate = step / (time.perf_counter() - t0)
                log.info(
                    f"step {step}/{total}: loss {np.mean(losses[-50:]):.4f} ({rate:.2f} steps/s, "
                    f"ETA {(total - step) / rate:,.0f} s)"
                )
    train_s = time.perf_counter() - t0
    student.eval()
    tmp = args.output + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    student.save_pretrained(tmp, safe_serialization=True)
    # the teacher's tokenizer as it was loaded: `tok` used with padding=True would save that padding setting
    # into tokenizer.json, and a user's Tokenizer.from_file would then pad every batch
    AutoTokenizer.from_pretrained(args.teacher).save_pretrained(tmp)
    result = {
        "teacher": os.path.abspath(args.teacher),
        "layers_kept": kept,
        "rows": len(texts),
        "steps": step,
        "train_seconds": round(train_s, 1),
        "final_loss": float(np.mean(losses[-50:])),
        "settings": dict(vars(args).items()),
    }
    if labelled_reports:
        result["labelled"] = labelled_reports  # rows kept and dropped per --labelled file
    if ev is not None:
        ev_texts, golds, _ = ev
        probs = _predict(student, tok, ev_texts, max_length)
        result["validation"] = report(golds, [labels[i] for i in probs.argmax(1)], labels)
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"text": ev_texts, "label": golds}), os.path.join(tmp, "eval_sample.parquet"))
    with open(os.path.join(tmp, "metrics.json"), "w") as f:
        json.dump(result, f, indent=2, default=str)
    if os.path.exists(args.output):
        shutil.rmtree(args.output)
    os.replace(tmp, args.output)
    return result


def _predict(model, tok, texts: list[str], max_length: int) -> np.ndarray:
    import torch

    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), 64):
            enc = tok(texts[i : i + 64], truncation=True, max_length=max_length, padding=True, return_tensors="pt")
            out.append(torch.softmax(model(**enc).logits, -1).numpy())
    return np.concatenate(out)
