"""The train stage's figures: a fine-tuned checkpoint and the TF-IDF floor on one held-out split of
native Korean comments, plus the int8 export's gate on that split.

  python scripts/train_figures.py --checkpoint runs/e5-emotion --train runs/data/train_rest.parquet \\
      --test runs/data/test_kote.parquet --workdir runs/train-figures
"""

from __future__ import annotations

import argparse
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq

from emopulse.core.metrics import report
from emopulse.core.schema import LABELS
from emopulse.export import ExportArgs
from emopulse.export import run as export
from emopulse.export.run import GateRefused
from emopulse.serve_batch import ServeBatchArgs
from emopulse.serve_batch import run as serve
from emopulse.train import TrainArgs
from emopulse.train.compare import tfidf_floor


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--workdir", default="runs/train-figures")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    res = {"floor": tfidf_floor(TrainArgs(data=a.train, eval=a.test, base_model="-", output=a.workdir))["validation"]}
    test = pq.read_table(a.test)
    test = test.append_column("id", pa.array([str(i) for i in range(test.num_rows)]))
    test_path = os.path.join(a.workdir, "test.parquet")
    pq.write_table(test, test_path)
    gold = test.column("label").to_pylist()
    for precision in ("fp32", "int8", "int8-mixed"):
        bundle = os.path.join(a.workdir, f"bundle-{precision}")
        try:
            m = export(
                ExportArgs(
                    model=a.checkpoint,
                    output=bundle,
                    precision=precision,
                    calibration=test_path,
                    gate_rows=test.num_rows,
                    max_length=128,
                    overwrite=True,
                )
            )
        except GateRefused as exc:
            m = exc.manifest
            export(
                ExportArgs(
                    model=a.checkpoint,
                    output=bundle,
                    precision=precision,
                    calibration=test_path,
                    gate_rows=test.num_rows,
                    max_length=128,
                    overwrite=True,
                    force=True,
                )
            )
        out = os.path.join(a.workdir, f"pred-{precision}")
        s = serve(
            ServeBatchArgs(model=bundle, inputs=[test_path], output=out, id_col="id", overwrite=True, progress=False)
        )
        pred = pq.read_table(out).column("label").to_pylist()
        res[precision] = {
            "test": report(gold, pred, list(LABELS)),
            "gate": m["gate"],
            "ready": m["ready"],
            "serve_rows_per_s": s["this_invocation"]["rows_per_s"],
        }
    res["checkpoint_metrics"] = json.load(open(os.path.join(a.checkpoint, "metrics.json")))["validation"]
    json.dump(res, open(os.path.join(a.workdir, "figures.json"), "w"), indent=2, default=str)
    for k in ("floor",):
        print(k, {m: round(res[k][m], 4) for m in ("accuracy", "macro_f1")}, res[k]["per_class_accuracy"])
    for p in ("fp32", "int8", "int8-mixed"):
        t, g = res[p]["test"], res[p]["gate"]
        print(
            p,
            {m: round(t[m], 4) for m in ("accuracy", "macro_f1")},
            t["per_class_accuracy"],
            "gate:",
            g["verdict"],
            round(g["agreement"], 4),
            g.get("f1_drop"),
        )


if __name__ == "__main__":
    main()
