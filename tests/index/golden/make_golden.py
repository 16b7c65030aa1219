"""Builds tests/index/golden/: a small predictions file and the index the code of commit 684f240 (before issue 25)
made of it. Rerun only on purpose: the regression test compares today's index with these files."""

import datetime as dt
import json
import sys

import numpy as np
import polars as pl

from emopulse.index import IndexArgs, run

LABELS = ["anger", "sadness", "happiness", "neutral"]
out = sys.argv[1]
rng = np.random.default_rng(25)
rows = []
start = dt.date(2024, 1, 1)
for d in range(75):
    day = start + dt.timedelta(days=d)
    if d in (20, 21):  # a gap
        continue
    n = 3 if d == 40 else int(rng.integers(30, 60))
    p = rng.dirichlet([2, 1, 3, 2], size=n)
    if d == 60:
        p = rng.dirichlet([8, 1, 1, 1], size=n)  # a spike of anger
    for i in range(n):
        lab = None if rng.random() < 0.03 else LABELS[int(p[i].argmax())]
        rows.append(
            {
                "id": str(len(rows)),
                "date": day,
                "label": lab,
                **{f"p_{name}": (float(p[i, j]) if lab else None) for j, name in enumerate(LABELS)},
            }
        )
pl.DataFrame(rows).write_parquet(f"{out}/predictions.parquet")
for name, kw in {"day": {}, "week": {"freq": "week"}, "hard": {"hard": True, "min_count": 10}}.items():
    s = run(IndexArgs(inputs=[f"{out}/predictions.parquet"], output=f"/tmp/golden_{name}", **kw))
    df = pl.read_parquet(f"/tmp/golden_{name}/index.parquet")
    df.write_parquet(f"{out}/index_{name}.parquet")
    s = {k: v for k, v in s.items() if k not in ("seconds", "rows_per_s")}
    json.dump(s, open(f"{out}/summary_{name}.json", "w"), indent=1, default=str)
    print(name, df.shape, s["anomalies"])
