"""`emopulse calibrate`: the served head of a fine-tuned checkpoint, fit on native validation rows.

1. the char n-gram member (TF-IDF char_wb 1-3-grams + logistic regression), trained on the
   training data and mixed with the encoder in log-probability space; its weight is chosen on
   validation by log-loss;
2. temperature scaling, fit on validation by log-loss (the index averages probabilities, so
   calibrated `p_<label>` move it directly);
3. optionally per-class biases that maximize validation macro-F1 (a prior correction: the
   training data is mostly translated text with other class shares than native comments).
Each step's validation figures are recorded in head.json's `fitted_on`; the head is written into
the checkpoint (or --output) and carried into bundles by `emopulse export`.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass

import numpy as np

from ..core.errors import EmopulseError
from ..core.head import Head, HeadSpec, log_softmax
from ..core.metrics import ece, report
from ..core.ngram import NgramModel
from ..core.options import opt
from ..core.predictor import predict_probs
from ..core.text import canonical_list
from .data import load_labelled


@dataclass(kw_only=True)
class CalibrateArgs:
    """`emopulse calibrate`: fit, on native validation rows, what turns a checkpoint's probabilities into
    the served ones: a char n-gram TF-IDF member mixed in log space, temperature scaling and optional
    per-class biases; written as head.json (+ ngram files) and carried into bundles by export."""

    model: str = opt(help="fine-tuned checkpoint dir (or bundle) to calibrate")
    data: str = opt(help="training Parquet (the n-gram member learns from it)", flag="--input", aliases=["--data"])
    eval: str = opt(help="validation Parquet of native rows (every weight is fit here)")
    output: str | None = opt(None, "write a calibrated copy here (default: into --model)")
    text_col: str = opt("text", "text column")
    label_col: str = opt("label", "label column")
    ngram: bool = opt(True, "add the char n-gram member")
    temperature: bool = opt(True, "temperature scaling")
    bias: bool = opt(False, "per-class biases for validation macro-F1")
    ngram_c: float = opt(4.0, "n-gram logistic regression C (inverse regularization)")
    max_length: int = opt(128, "max tokens")
    # self-training of the n-gram member: predictions of a teacher on in-domain unlabelled comments
    # (serve-batch output kept with --keep-cols text), rows at least this confident added to its data
    ngram_extra: str | None = opt(
        None,
        "self-training: a teacher's serve-batch predictions on unlabelled "
        "in-domain comments (with --keep-cols text); confident rows join the n-gram data",
    )
    ngram_extra_min_confidence: float = opt(0.9, "least teacher confidence for --ngram-extra rows")

    def __post_init__(self):
        if self.ngram_c <= 0:
            raise EmopulseError(f"--ngram-c must be > 0, got {self.ngram_c}")


def fit_ngram(texts: list[str], golds: list[str], labels: list[str], c: float = 4.0) -> NgramModel:
    """The char n-gram member, fitted on the canonical texts (core.text), as serving reads them."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True, max_features=200_000)
    clf = LogisticRegression(max_iter=2000, class_weight="balanced", C=c)
    clf.fit(vec.fit_transform(canonical_list(texts)), golds)  # what serving feeds it (Predictor.prepare)
    return NgramModel.from_sklearn(vec, clf, labels)


def nll(logits: np.ndarray, gold: np.ndarray) -> float:
    return float(-log_softmax(logits)[np.arange(len(gold)), gold].mean())


def fit_temperature(z: np.ndarray, gold: np.ndarray) -> float:
    """Log-loss minimizing temperature: golden-section search on log T in [-3, 3]."""
    lo, hi = -3.0, 3.0
    f = lambda lt: nll(z / np.exp(lt), gold)  # noqa: E731
    g = (np.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = f(a), f(b)
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = f(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = f(b)
    return float(np.exp((lo + hi) / 2))


def fit_bias(z: np.ndarray, gold: np.ndarray, labels: list[str], rounds: int = 3) -> list[float]:
    """Coordinate ascent on per-class biases for macro-F1 (class 0 fixed at 0)."""
    bias = np.zeros(z.shape[1])
    grid = np.linspace(-2, 2, 41)

    def score(b):
        pred = (z + b).argmax(1)
        return report([labels[i] for i in gold], [labels[i] for i in pred], labels)["macro_f1"]

    best = score(bias)
    for _ in range(rounds):
        for j in range(1, z.shape[1]):
            for v in grid:
                trial = bias.copy()
                trial[j] = v
                s = score(trial)
                if s > best + 1e-9:
                    best, bias = s, trial
    return bias.tolist()


def run(args: CalibrateArgs) -> dict:
    t0 = time.perf_counter()
    from ..core.bundle import load_bundle

    out_dir = args.output or args.model
    labels = load_bundle(args.model, args.max_length).labels
    ev = load_labelled(args.eval, args.text_col, args.label_col, labels)
    gold = np.asarray([labels.index(g) for g in ev.labels])
    probs, _ = predict_probs(args.model, ev.texts, args.max_length, served=False)
    z_enc = np.log(np.clip(probs.astype(np.float64), 1e-30, None))
    steps = {"encoder": _figures(z_enc, gold, labels)}
    ngram, w = None, 0.0
    if args.ngram:
        tr = load_labelled(args.data, args.text_col, args.label_col, labels)
        held = set(ev.texts)
        keep = [i for i, t in enumerate(tr.texts) if t not in held]
        ng_t, ng_l = [tr.texts[i] for i in keep], [tr.labels[i] for i in keep]
        if args.ngram_extra:
            ex_t, ex_l = confident_rows(args.ngram_extra, labels, args.ngram_extra_min_confidence, held | set(ng_t))
            steps["ngram_extra_rows"] = len(ex_t)
            ng_t, ng_l = ng_t + ex_t, ng_l + ex_l
        ngram = fit_ngram(ng_t, ng_l, labels, args.ngram_c)
        z_ng = log_softmax(ngram.logits(ev.texts).astype(np.float64))
        steps["ngram"] = _figures(z_ng, gold, labels)
        grid = np.round(np.linspace(0, 1, 21), 2)
        losses = [nll((1 - g) * z_enc + g * z_ng, gold) for g in grid]
        w = float(grid[int(np.argmin(losses))])
        z = (1 - w) * z_enc + w * z_ng
        steps["ensemble"] = _figures(z, gold, labels) | {"ngram_weight": w}
    else:
        z = z_enc
    t = fit_temperature(z, gold) if args.temperature else 1.0
    steps["temperature"] = _figures(z / t, gold, labels) | {"temperature": t}
    bias = None
    if args.bias:
        bias = fit_bias(z / t, gold, labels)
        steps["bias"] = _figures(z / t + np.asarray(bias), gold, labels) | {"bias": bias}
    final = z / t + (np.asarray(bias) if bias else 0.0)
    spec = HeadSpec(
        temperature=t,
        ngram_weight=w,
        bias=bias,
        fitted_on={
            "eval": os.path.basename(args.eval),
            "rows": len(gold),
            "steps": steps,
            "validation_confusion": validation_confusion(np.exp(log_softmax(final)), gold, labels),
        },
    )
    if out_dir != args.model:
        shutil.copytree(args.model, out_dir, dirs_exist_ok=True)
    Head(spec, ngram if w > 0 else None).save(out_dir, labels)
    return {"output": out_dir, "steps": steps, "seconds": round(time.perf_counter() - t0, 1)}


def validation_confusion(probs: np.ndarray, gold: np.ndarray, labels: list[str]) -> dict:
    """What `index --adjust` needs to undo the classifier's confusions: per gold class, the mean
    served probability of each label (soft) and the counts of each predicted label (hard)."""
    k = len(labels)
    soft = [
        probs[gold == i].mean(0).tolist() if (gold == i).any() else [float(i == j) for j in range(k)] for i in range(k)
    ]
    hard = np.zeros((k, k), np.int64)
    np.add.at(hard, (gold, probs.argmax(1)), 1)
    return {"labels": list(labels), "soft": soft, "hard": hard.tolist(), "rows": int(len(gold))}


def confident_rows(
    path: str, labels: list[str], min_confidence: float, exclude: set, per_class: int | None = None
) -> tuple[list, list]:
    """(texts, labels) of a teacher's predictions whose top probability reaches min_confidence.

    path: a serve-batch output (file or run directory) with the text kept (`--keep-cols text`) and one
    `p_<label>` column per label. Texts in `exclude` (canonical form) and repeats are dropped. With
    `per_class`, at most that many rows per predicted label, the most confident first: the teacher's
    rare classes (sadness, neutral) are not drowned by its common ones. Rows come back in file order."""
    import pyarrow.dataset as ds

    from ..core import schema

    t = ds.dataset(path, format="parquet").to_table()
    if "text" not in t.column_names:
        raise EmopulseError(f"{path}: no text column (run serve-batch with --keep-cols text)")
    probs = np.column_stack([t.column(c).to_numpy(zero_copy_only=False) for c in schema.prob_cols(labels)])
    ok = np.isfinite(probs).all(1)
    conf = np.where(ok, np.nan_to_num(probs).max(1), 0)
    top = probs.argmax(1) if len(probs) else np.zeros(0, dtype=int)
    texts = canonical_list(t.column("text").to_pylist())  # compared with the (canonical) held-out texts
    keep, seen, taken = [], set(exclude), np.zeros(len(labels), dtype=int)
    for i in np.argsort(-conf, kind="stable"):  # most confident first, so a per-class cap keeps the best
        if conf[i] < min_confidence:
            break
        c = int(top[i])
        if not texts[i] or texts[i] in seen or (per_class is not None and taken[c] >= per_class):
            continue
        seen.add(texts[i])
        taken[c] += 1
        keep.append(i)
    keep.sort()
    return [texts[i] for i in keep], [labels[int(top[i])] for i in keep]


def _figures(z: np.ndarray, gold: np.ndarray, labels: list[str]) -> dict:
    p = np.exp(log_softmax(z))
    r = report([labels[i] for i in gold], [labels[i] for i in p.argmax(1)], labels)
    return {
        "accuracy": round(r["accuracy"], 4),
        "macro_f1": round(r["macro_f1"], 4),
        "nll": round(nll(z, gold), 4),
        "ece": round(ece(p, gold), 4),
    }
