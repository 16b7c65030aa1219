"""Figures for `emopulse watch` (README): latency from a file landing to the dashboard showing it,
and the cost of folding a new day into 1 year vs 10 years of history.

  python scripts/watch_figures.py --data ../shared/data/unlabeled_nsmc_dated.parquet [--rows 10000]

1. latency: a watch (shipped model, --poll 1) runs in the background; a 10,000-row file of real
   dated reviews lands (written under a .part name, renamed); the time until index.html is replaced.
2. update cost: histories of 365 and 3,650 days of per-day statistics (from a synthetic prediction
   table with 200 rows a day), then one new day of 1,000 predicted rows: fold + index + charts time
   (the classification of the new rows is the same in both and left out), against a batch `index`
   over all the history's predictions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import polars as pl
import pyarrow.parquet as pq

LABELS = ["anger", "sadness", "happiness", "neutral"]


def latency(data: str, rows: int, work: str) -> dict:
    inp, idx = os.path.join(work, "in"), os.path.join(work, "idx")
    os.makedirs(inp)
    t = pq.read_table(data).slice(0, rows)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emopulse",
            "watch",
            "--input",
            inp,
            "--output",
            os.path.join(work, "pred"),
            "--index-output",
            idx,
            "--poll",
            "1",
            "--settle",
            "0",
            "--keep-cols",
            "date",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(8)  # the watch is up and polling an empty directory
    pq.write_table(t, os.path.join(inp, "batch.parquet.part"))
    t0 = time.time()
    os.replace(os.path.join(inp, "batch.parquet.part"), os.path.join(inp, "batch.parquet"))
    page = os.path.join(idx, "index.html")
    while not os.path.exists(page):
        time.sleep(0.2)
    seconds = time.time() - t0
    proc.terminate()
    proc.wait(120)
    return {"rows": rows, "seconds_to_dashboard": round(seconds, 1), "rows_per_s": round(rows / seconds, 1)}


def predictions(days: int, per_day: int, start: dt.date, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = days * per_day
    p = rng.dirichlet([1, 0.5, 2, 1.5], n).astype(np.float32)
    return pl.DataFrame(
        {
            "id": [f"{seed}-{i}" for i in range(n)],
            "date": np.datetime64(start, "D") + np.repeat(np.arange(days), per_day).astype("timedelta64[D]"),
            "label": np.array(LABELS)[p.argmax(1)],
            **{f"p_{lab}": p[:, j] for j, lab in enumerate(LABELS)},
        }
    )


def update_cost(years: int, work: str) -> dict:
    from emopulse.index import IndexArgs
    from emopulse.index import run as index
    from emopulse.index.compute import add_sums, sums
    from emopulse.index.load import check_dates, scan
    from emopulse.watch import WatchArgs
    from emopulse.watch.run import Watcher, save_stats

    days, start = 365 * years, dt.date(2010, 1, 1)
    hist_dir = os.path.join(work, f"hist-{years}")
    os.makedirs(hist_dir)
    predictions(days, 200, start, 1).write_parquet(os.path.join(hist_dir, "part-0.parquet"))
    idx = os.path.join(work, f"idx-{years}")
    os.makedirs(idx)
    lf, labels, _ = scan([hist_dir], "date", "Asia/Seoul", allow_partial=True)
    stats = sums(
        check_dates(lf, True, hi=dt.date(2100, 1, 1))[0], labels, "day", {"happiness": 1, "neutral": 0.5}, False
    )
    save_stats(idx, stats, ["history"], labels)
    new_dir = os.path.join(work, f"new-{years}")
    os.makedirs(new_dir)
    predictions(1, 1000, start + dt.timedelta(days), 2).write_parquet(os.path.join(new_dir, "part-0.parquet"))
    args = WatchArgs(
        model=None,
        inputs=[new_dir],
        output=os.path.join(work, "unused"),
        index_output=idx,
        weights={"happiness": 1, "neutral": 0.5},
    )
    w = Watcher(args)
    t0 = time.perf_counter()
    lf, _, _ = scan([new_dir], "date", "Asia/Seoul", allow_partial=True)
    new = sums(check_dates(lf, True, hi=dt.date(2100, 1, 1))[0], labels, "day", args.weights, False)
    merged = add_sums(stats, new)
    save_stats(idx, merged, ["history", "new"], labels)
    w.publish(merged, labels)
    fold = time.perf_counter() - t0
    t0 = time.perf_counter()
    index(
        IndexArgs(
            inputs=[hist_dir, new_dir],
            output=os.path.join(work, f"batch-{years}"),
            allow_partial=True,
            max_date="2100-01-01",
            weights={"happiness": 1, "neutral": 0.5},
        )
    )
    batch = time.perf_counter() - t0
    return {
        "history_days": days,
        "history_rows": days * 200,
        "update_s": round(fold, 2),
        "batch_index_s": round(batch, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--output", default="runs/watch-figures.json")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="emopulse-watch-bench-")
    try:
        res = {"update": [update_cost(y, work) for y in (1, 10)]}
        print(json.dumps(res), flush=True)
        res["latency"] = latency(a.data, a.rows, os.path.join(work, "lat"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.dirname(a.output) or ".", exist_ok=True)
    with open(a.output, "w") as f:
        json.dump(res, f, indent=2)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
