"""Ray engine vs local engine on the same rows and bundle (the Ray overhead ratio).

  python scripts/ray_figures.py --model runs/train-figures/bundle-int8-mixed \\
      --data ../shared/data/unlabeled_nsmc_dated.parquet --rows 20000
"""

from __future__ import annotations

import argparse
import json
import os

import pyarrow.parquet as pq

from emopulse.bench.measure import serve_process


def serve(model, inp, out, *extra):
    s = serve_process(model, inp, out, "--overwrite", *extra)
    wall = s["process_seconds"]
    return {
        "rows": s["rows"],
        "rows_per_s_process": round(s["rows"] / wall, 1),
        "rows_per_s_engine": s["rows_per_s"],
        "wall_s": round(wall, 1),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--workdir", default="runs/ray-figures")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    inp = os.path.join(a.workdir, "input.parquet")
    pq.write_table(pq.read_table(a.data).slice(0, a.rows), inp)
    res = {
        "local": serve(a.model, inp, os.path.join(a.workdir, "local")),
        "ray_2x1": serve(
            a.model,
            inp,
            os.path.join(a.workdir, "ray"),
            "--engine",
            "ray",
            "--workers",
            "2",
            "--cpus-per-worker",
            "1",
            "--rows-per-part",
            "2500",
        ),
        "local_again": serve(a.model, inp, os.path.join(a.workdir, "local2")),
    }
    base = (res["local"]["rows_per_s_process"] + res["local_again"]["rows_per_s_process"]) / 2
    res["ray / local (process wall, Ray start included)"] = round(res["ray_2x1"]["rows_per_s_process"] / base, 3)
    a_ = pq.read_table(os.path.join(a.workdir, "local")).column("label")
    b_ = pq.read_table(os.path.join(a.workdir, "ray")).column("label")
    res["labels_equal"] = a_.equals(b_)
    json.dump(res, open(os.path.join(a.workdir, "figures.json"), "w"), indent=2)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
