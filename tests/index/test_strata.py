"""Source-mix adjustment: a planted mix shift moves the raw index, not the post-stratified one;
per-source tables; the composite score records its inputs."""

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest

from emopulse.core.errors import InputError
from emopulse.index import IndexArgs, run

from .planted import days, rows_for

NEWS, REVIEWS = 25.0, 70.0


def _mix_shift(tmp_path, rng, missing_day=None):
    """120 days; news and reviews keep their mood; the mix goes from 50/50 to 85/15 news on day 60."""
    src = {}
    for i, d in enumerate(days(dt.date(2024, 1, 1), 120)):
        news = 170 if i >= 60 else 100
        src[d] = [("news", NEWS, news), ("reviews", REVIEWS, 200 - news)]
        if d == missing_day:
            src[d] = [("news", NEWS, news)]
    path = tmp_path / "p.parquet"
    rows_for({}, rng, sources=src).write_parquet(path)
    return str(path)


def test_a_source_mix_shift_moves_the_raw_index_not_the_stratified_one(tmp_path):
    rng = np.random.default_rng(11)
    missing = dt.date(2024, 4, 20)
    path = _mix_shift(tmp_path, rng, missing_day=missing)
    s = run(
        IndexArgs(inputs=[path], output=str(tmp_path / "o"), strata="source", strata_weights="news=0.5,reviews=0.5")
    )
    df = pl.read_parquet(tmp_path / "o" / "index.parquet")
    before = df.filter(pl.col("period") < dt.date(2024, 2, 29))
    after = df.filter(pl.col("period") > dt.date(2024, 3, 1))
    assert before["index"].mean() - after["index"].mean() > 10  # the raw index falls ...
    assert abs(before["index_strat"].mean() - after["index_strat"].mean()) < 0.5  # ... the stratified does not
    assert after["index_strat"].mean() == pytest.approx((NEWS + REVIEWS) / 2, abs=0.5)
    row = df.filter(pl.col("period") == missing).row(0, named=True)
    assert row["strata_missing"] == "reviews" and df.filter(pl.col("strata_missing") != "").height == 1
    assert (df["index_strat_lo"] <= df["index_strat"]).all() and (df["index_strat"] <= df["index_strat_hi"]).all()
    assert {"strat_happiness", "strat_anger_lo"} <= set(df.columns)
    # the raw rule flags the shift; judged on the stratified index it is no anomaly
    assert s["anomalies_judged_on"] == "index_strat" and dt.date(2024, 3, 1) not in df.filter("anomaly")["period"]
    assert s["strata"]["weights"] == {"news": 0.5, "reviews": 0.5} and s["strata"]["periods_missing_a_stratum"] == 1


def test_strata_weights_overall_equal_and_errors(tmp_path):
    path = _mix_shift(tmp_path, np.random.default_rng(1))
    s = run(IndexArgs(inputs=[path], output=str(tmp_path / "a"), strata="source"))
    share = (60 * 100 + 60 * 170) / (120 * 200)
    assert s["strata"]["weights"]["news"] == pytest.approx(share)
    s = run(IndexArgs(inputs=[path], output=str(tmp_path / "b"), strata="source", strata_weights="equal"))
    assert s["strata"]["weights"] == {"news": 0.5, "reviews": 0.5}
    with pytest.raises(InputError, match="gives no weight to reviews"):
        run(IndexArgs(inputs=[path], output=str(tmp_path / "c"), strata="source", strata_weights="news=1"))
    with pytest.raises(InputError, match="no column 'channel'"):
        run(IndexArgs(inputs=[path], output=str(tmp_path / "c"), strata="channel"))


def test_by_source_writes_side_by_side_indices(tmp_path):
    rng = np.random.default_rng(2)
    path = _mix_shift(tmp_path, rng)
    undated = rows_for({}, rng, sources={None: [("youtube", 50.0, 30)]})
    pl.concat([pl.read_parquet(path), undated], how="vertical_relaxed").write_parquet(tmp_path / "q.parquet")
    run(IndexArgs(inputs=[str(tmp_path / "q.parquet")], output=str(tmp_path / "o"), by="source"))
    long = pl.read_parquet(tmp_path / "o" / "by_source.parquet")
    assert sorted(long["source"].unique()) == ["news", "reviews"] and long.height == 2 * 120
    means = long.group_by("source").agg(pl.col("index").mean()).sort("source")["index"].to_list()
    assert means == pytest.approx([NEWS, REVIEWS], abs=0.5)
    md = (tmp_path / "o" / "by_source.md").read_text()
    assert "| youtube | 30 | 30 |" in md and "| news |" in md
    assert (tmp_path / "o" / "by_source.png").stat().st_size > 10_000 and (tmp_path / "o" / "by_source.csv").exists()
    # the plain index is the same as without --by
    run(IndexArgs(inputs=[str(tmp_path / "q.parquet")], output=str(tmp_path / "plain")))
    plain = pl.read_parquet(tmp_path / "plain" / "index.parquet")
    assert pl.read_parquet(tmp_path / "o" / "index.parquet").equals(plain)


def test_composite_records_its_inputs_and_follows_the_signs(tmp_path):
    rng = np.random.default_rng(5)
    ds = days(dt.date(2024, 1, 1), 90)
    level = 50 + 10 * np.sin(np.arange(90) / 10)
    rows_for({d: (level[i], 200) for i, d in enumerate(ds)}, rng).write_parquet(tmp_path / "p.parquet")
    pl.DataFrame({"date": ds, "cases": -level + rng.normal(0, 0.1, 90)}).write_parquet(tmp_path / "c.parquet")
    (tmp_path / "spec.toml").write_text(
        '[[input]]\nseries = "index"\nsign = 1\nweight = 3\n\n[[input]]\nseries = "cases"\nsign = -1\nweight = 1\n'
    )
    run(
        IndexArgs(
            inputs=[str(tmp_path / "p.parquet")],
            output=str(tmp_path / "o"),
            covariates=str(tmp_path / "c.parquet"),
            composite=str(tmp_path / "spec.toml"),
        )
    )
    df = pl.read_parquet(tmp_path / "o" / "index.parquet")
    rec = json.load(open(tmp_path / "o" / "composite.json"))
    assert [(x["series"], x["sign"], x["weight_scaled"]) for x in rec["inputs"]] == [
        ("index", 1, 0.75),
        ("cov_cases", -1, 0.25),
    ]
    c = df["composite"].to_numpy()
    assert 0 < c.min() < 20 and 80 < c.max() < 100  # both inputs agree: a full-range score
    assert np.corrcoef(c, level)[0, 1] > 0.95
    assert (df["composite_lo"] <= df["composite"]).all() and (df["composite"] <= df["composite_hi"]).all()
    (tmp_path / "bad.toml").write_text('[[input]]\nseries = "gdp"\n')
    with pytest.raises(InputError, match="input 1: series 'gdp' is neither"):
        run(
            IndexArgs(
                inputs=[str(tmp_path / "p.parquet")], output=str(tmp_path / "o"), composite=str(tmp_path / "bad.toml")
            )
        )
