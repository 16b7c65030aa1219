"""`emopulse index` without the issue-25 options gives the same table and summary as before them:
tests/index/golden/ holds the output of the unmodified code (commit 684f240, make_golden.py). The
bands of the index and of the soft shares (and so anomaly_z, which reads the index's) changed on
purpose since (compute.wilson, open at small n): they are checked to hold their estimate instead."""

import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from emopulse.index import IndexArgs, run

GOLDEN = Path(__file__).parent / "golden"
CASES = {"day": {}, "week": {"freq": "week"}, "hard": {"hard": True, "min_count": 10}}


@pytest.mark.parametrize("name", sorted(CASES))
def test_plain_index_is_unchanged(tmp_path, name):
    s = run(IndexArgs(inputs=[str(GOLDEN / "predictions.parquet")], output=str(tmp_path / name), **CASES[name]))
    got, want = pl.read_parquet(tmp_path / name / "index.parquet"), pl.read_parquet(GOLDEN / f"index_{name}.parquet")
    bands = ["anomaly_z"] + [c for c in got.columns if c.startswith(("index", "soft_")) and c.endswith(("_lo", "_hi"))]
    assert_frame_equal(got.drop(bands), want.drop(bands), check_exact=False, rtol=0, atol=1e-12)
    seen = got.filter(pl.col("n") > 0)
    for est in {c[:-3] for c in bands[1:]}:
        lo, x, hi = seen[f"{est}_lo"], seen[est], seen[f"{est}_hi"]
        assert ((lo <= x) & (x <= hi) & (lo < hi)).all(), est
    want = json.load(open(GOLDEN / f"summary_{name}.json"))
    s = json.loads(json.dumps({k: v for k, v in s.items() if k not in ("seconds", "rows_per_s")}, default=str))
    assert s == want
    assert sorted(p.name for p in (tmp_path / name).iterdir()) == [
        "_summary.json",
        "index.csv",
        "index.parquet",
        "index.png",
    ]
