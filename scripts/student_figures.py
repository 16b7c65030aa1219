"""The student tier's speed/accuracy table (README): teacher and students, fp32 and int8, on the
native test split (1,000 rows, figures only) and serve-batch speed on real reviews.

  python scripts/student_figures.py --teacher runs/recipe/head-ngram+temperature \
      --students runs/distill/student-6 runs/distill/student-4 --split runs/recipe/split \
      --comments ../shared/data/unlabeled_nsmc_dated.parquet [--rows 5000]

Students come from `emopulse distill` (see the README's command). Every bundle is exported here with
the same gate settings as the shipped model (dev split, 500 rows) and --force, so a refused
precision still gets its figures (the gate verdict is in the table). Writes runs/distill/figures.json
and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os

import pyarrow.parquet as pq


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--students", nargs="+", required=True)
    ap.add_argument("--split", required=True)
    ap.add_argument("--comments", required=True)
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--workdir", default="runs/distill")
    ap.add_argument("--precisions", default="fp32,int8")
    a = ap.parse_args()
    from emopulse.evaluate import EvaluateArgs
    from emopulse.evaluate import run as evaluate
    from emopulse.export import ExportArgs
    from emopulse.export import run as export
    from emopulse.export.run import GateRefused
    from emopulse.serve_batch import ServeBatchArgs
    from emopulse.serve_batch import run as serve

    dev, test = os.path.join(a.split, "dev.parquet"), os.path.join(a.split, "test.parquet")
    inp = os.path.join(a.workdir, f"nsmc-{a.rows}.parquet")
    if not os.path.exists(inp):
        pq.write_table(pq.read_table(a.comments).slice(100_000, a.rows), inp)
    rows, res = [], {}
    for model in [a.teacher] + a.students:
        layers = json.load(open(os.path.join(model, "config.json")))["num_hidden_layers"]
        for precision in a.precisions.split(","):
            name = f"{os.path.basename(model.rstrip('/'))}-{precision}"
            out = os.path.join(a.workdir, "bundles", name)
            try:
                m = export(
                    ExportArgs(
                        model=model,
                        output=out,
                        precision=precision,
                        calibration=dev,
                        max_length=128,
                        gate_rows=500,
                        min_agreement=0.97,
                        max_f1_drop=0.015,
                        overwrite=True,
                        force=True,
                    )
                )
            except GateRefused as exc:
                m = exc.manifest
            ev = evaluate(EvaluateArgs(model=out, data=test, output=os.path.join(out, "eval-test"), max_length=128))
            s = serve(
                ServeBatchArgs(
                    model=out,
                    inputs=[inp],
                    output=os.path.join(a.workdir, "pred", name),
                    overwrite=True,
                    progress=False,
                    id_col="",
                )
            )
            res[name] = {
                "layers": layers,
                "precision": precision,
                "gate": m["gate"]["verdict"],
                "agreement_with_own_fp32": m["gate"]["agreement"],
                "test_macro_f1": ev["macro_f1"],
                "test_accuracy": ev["accuracy"],
                "rows_per_s": s["this_invocation"]["rows_per_s"],
                "size_mb": round(os.path.getsize(os.path.join(out, "model.onnx")) / 1e6, 1),
            }
            rows.append(
                f"| {name} | {layers} | {precision} | {ev['accuracy']:.3f} | {ev['macro_f1']:.3f} | "
                f"{s['rows_per_s']:,.0f} | {res[name]['size_mb']} | {m['gate']['verdict'][:40]} |"
            )
            print(rows[-1], flush=True)
            with open(os.path.join(a.workdir, "figures.json"), "w") as f:
                json.dump(res, f, indent=2)
    print("| model | layers | precision | test accuracy | test macro-F1 | rows/s | MB | gate |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
