"""`emopulse index` without the issue-25 options gives the same table and summary as before them:
tests/index/golden/ holds the output of the unmodified code (commit 684f240, make_golden.py)."""

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
    got = pl.read_parquet(tmp_path / name / "index.parquet")
    assert_frame_equal(got, pl.read_parquet(GOLDEN / f"index_{name}.parquet"), check_exact=True)
    want = json.load(open(GOLDEN / f"summary_{name}.json"))
    s = json.loads(json.dumps({k: v for k, v in s.items() if k not in ("seconds", "rows_per_s")}, default=str))
    assert s == want
    assert sorted(p.name for p in (tmp_path / name).iterdir()) == [
        "_summary.json",
        "index.csv",
        "index.parquet",
        "index.png",
    ]
