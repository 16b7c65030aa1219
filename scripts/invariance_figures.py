"""One answer per text, measured on real comments: the same rows through serve-batch with other part
sizes, worker counts, host threads and engines, compared bit for bit; and each model's rows/s.

  python scripts/invariance_figures.py --data ../shared/data/unlabeled_nsmc_dated.parquet --rows 5000 \
      [--model BUNDLE] [--compare OLD_BUNDLE] [--ray]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time

import numpy as np
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from emopulse.core.schema import prob_cols
from emopulse.serve_batch import ServeBatchArgs, run

RUNS = {
    "parts of 500": dict(rows_per_part=500),
    "parts of 5,000": dict(rows_per_part=5000),
    "2 workers": dict(rows_per_part=1000, workers=2),
    "1 host thread, budget 512": dict(rows_per_part=5000, host_workers=1, max_batch_tokens=512),
}


def serve(model: str, inp: str, out: str, **kw) -> tuple[np.ndarray, list, float]:
    t0 = time.perf_counter()
    s = run(ServeBatchArgs(model=model, inputs=[inp], output=out, progress=False, max_length=128, **kw))
    wall = time.perf_counter() - t0
    t = ds.dataset(out, format="parquet").to_table().sort_by("id")
    labels = [c.removeprefix("p_") for c in t.column_names if c.startswith("p_")]
    return (
        np.column_stack([t[c].to_numpy(zero_copy_only=False) for c in prob_cols(labels)]),
        t["label"].to_pylist(),
        s["this_invocation"]["rows"] / wall,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--model", default=None)
    ap.add_argument("--compare", default=None, help="a second bundle measured the same way (e.g. the old one)")
    ap.add_argument("--ray", action="store_true", help="also the Ray engine (2 actors)")
    a = ap.parse_args()
    from emopulse import model as shipped

    work = tempfile.mkdtemp(prefix="invariance-")
    inp = os.path.join(work, "in.parquet")
    pq.write_table(pq.read_table(a.data).slice(0, a.rows), inp)
    runs = dict(RUNS) | ({"Ray, 2 actors": dict(rows_per_part=1000, engine="ray", workers=2)} if a.ray else {})
    report = {}
    for name, model in [("model", a.model or shipped.path()), ("compare", a.compare)]:
        if not model:
            continue
        got = {r: serve(model, inp, os.path.join(work, f"{name}-{i}"), **kw) for i, (r, kw) in enumerate(runs.items())}
        ref_p, ref_l, _ = got[next(iter(runs))]
        rows = {}
        for r, (p, lab, rate) in got.items():
            rows[r] = {
                "rows_per_s": round(rate, 1),
                "bit_identical": bool(np.array_equal(p, ref_p, equal_nan=True)),
                "rows_differing": int((~np.all((p == ref_p) | (np.isnan(p) & np.isnan(ref_p)), axis=1)).sum()),
                "labels_differing": int(sum(x != y for x, y in zip(lab, ref_l))),
                "max_abs_diff": float(np.nanmax(np.abs(p - ref_p))) if len(p) else 0.0,
            }
        report[model] = rows
        print(f"\n{model}: {a.rows:,} rows, each run against '{next(iter(runs))}'")
        print(
            "| run | rows/s | bit-identical | rows differing | labels differing | max abs diff |\n|---|---|---|---|---|---|"
        )
        for r, v in rows.items():
            print(
                f"| {r} | {v['rows_per_s']:,} | {v['bit_identical']} | {v['rows_differing']} | "
                f"{v['labels_differing']} | {v['max_abs_diff']:.2e} |"
            )
    print(json.dumps(report))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
