"""`emopulse compare`: backbones side by side on one split, always against a cheap floor
(character n-gram TF-IDF + logistic regression), as Markdown and CSV."""

from __future__ import annotations

import csv
import json
import os
import re
import time
from dataclasses import replace

from ..core.metrics import report
from .args import TrainArgs
from .trainer import fine_tune, prepare_data

FLOOR = "tfidf-char-ngram+logreg"


def tfidf_floor(args: TrainArgs) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    data = prepare_data(args, list(args.labels))
    (tr_t, tr_l), (ev_t, ev_l) = data["train"], data["eval"]
    t0 = time.perf_counter()
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True, max_features=200_000)
    clf = LogisticRegression(max_iter=2000, class_weight="balanced" if args.class_weights else None, C=4.0)
    clf.fit(vec.fit_transform(tr_t), tr_l)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    got = clf.predict(vec.transform(ev_t))
    infer_s = time.perf_counter() - t0
    return {
        "base_model": FLOOR,
        "validation": report(ev_l, list(got), list(args.labels)),
        "train_seconds": round(train_s, 1),
        "eval_rows_per_s": round(len(ev_t) / infer_s, 1),
        "train_rows": len(tr_t),
        "eval_rows": len(ev_t),
    }


def run(base_models: list[str], args: TrainArgs) -> dict:
    os.makedirs(args.output, exist_ok=True)
    results = [tfidf_floor(args)]
    for base in base_models:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", base.strip("/")).strip("_")
        results.append(fine_tune(replace(args, base_model=base, output=os.path.join(args.output, slug))))
    labels = list(args.labels)
    rows = []
    for r in results:
        v = r["validation"]
        rows.append(
            {
                "model": r["base_model"],
                "accuracy": round(v["accuracy"], 4),
                "macro_f1": round(v["macro_f1"], 4),
                **{f"acc_{lab}": round(v["per_class_accuracy"][lab], 4) for lab in labels},
                "train_s": r["train_seconds"],
                "eval_rows_per_s": r["eval_rows_per_s"],
            }
        )
    with open(os.path.join(args.output, "compare.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with open(os.path.join(args.output, "compare.md"), "w") as f:
        f.write("| " + " | ".join(rows[0]) + " |\n|" + "---|" * len(rows[0]) + "\n")
        for r in rows:
            f.write("| " + " | ".join(str(v) for v in r.values()) + " |\n")
    with open(os.path.join(args.output, "compare.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)
    return {"rows": rows}
