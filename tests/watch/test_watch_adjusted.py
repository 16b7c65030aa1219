"""watch with the index model and the source-mix adjustment: the incremental, online index equals a
batch `index --online` with the same options, per-source files are kept up to date, and alerts say
which adjusted series they were judged on."""

import datetime as dt
import json
import os

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from emopulse.index import IndexArgs
from emopulse.index import run as index
from emopulse.watch import run

from .test_watch import ANGRY, HAPPY, wargs


def mixed_day(path, day, n_news, n_reviews, start_id):
    texts = [ANGRY[i % len(ANGRY)] for i in range(n_news)] + [HAPPY[i % len(HAPPY)] for i in range(n_reviews)]
    t = pa.table(
        {
            "id": [f"r{start_id + i}" for i in range(len(texts))],
            "text": texts,
            "date": [day] * len(texts),
            "source": ["news"] * n_news + ["reviews"] * n_reviews,
        }
    )
    pq.write_table(t, str(path) + ".part")
    os.replace(str(path) + ".part", path)
    return len(texts)


def test_watch_adjusted_equals_batch_online_index(tmp_path):
    (tmp_path / "in").mkdir()
    start, n = dt.date(2024, 9, 1), 0
    opts = {"calendar": True, "strata": "source", "strata_weights": "equal", "by": "source"}
    for i in range(34):  # from day 30 on the mix turns to news, whose mood did not change
        news = 8 if i < 30 else 16
        n += mixed_day(tmp_path / "in" / f"d{i:02d}.parquet", start + dt.timedelta(i), news, 20 - news, n)
        if i >= 32:
            s = run(wargs(tmp_path, **opts))
    assert s["files"] == 34 and s["rows"] == n
    dirs = sorted(str(p) for p in (tmp_path / "pred").iterdir())
    index(IndexArgs(inputs=dirs, output=str(tmp_path / "batch"), min_count=10, online=True, **opts))
    a = pl.read_parquet(tmp_path / "idx" / "index.parquet")
    b = pl.read_parquet(tmp_path / "batch" / "index.parquet")
    assert a.columns == b.columns and {"index_strat", "index_adj", "index_resid", "anomaly_raw"} <= set(a.columns)
    for c in a.columns:
        if a[c].dtype.is_float():
            assert np.allclose(a[c].to_numpy(), b[c].to_numpy(), equal_nan=True, atol=1e-6), c
        else:
            assert a[c].to_list() == b[c].to_list(), c
    assert a["index_adj"].drop_nulls().len() >= 4  # fitted online once 28 periods came before
    # the mix shift moves the raw index, not the stratified one (each channel's mood is the same)
    assert a["index"][-1] < a["index"][0] - 10 and abs(a["index_strat"][-1] - a["index_strat"][0]) < 5
    assert not a.filter(pl.col("period") >= dt.date(2024, 10, 1))["anomaly"].any()
    for name in ("by_source.parquet", "by_source.png", "covariates.md", "covariates.json"):
        assert (tmp_path / "idx" / name).exists(), name
    by = pl.read_parquet(tmp_path / "idx" / "by_source.parquet")
    assert by.filter(pl.col("source") == "news")["n"].sum() == 8 * 30 + 16 * 4
    if (tmp_path / "idx" / "alerts.jsonl").exists():
        for ln in open(tmp_path / "idx" / "alerts.jsonl"):
            assert json.loads(ln)["judged_on"] == "index_resid"


def test_dashboard_draws_days_without_data_as_a_gap(tmp_path):
    import pytest

    from tests.index.test_html_render import CHROMIUM, empty_runs, screenshot

    if CHROMIUM is None:
        pytest.skip("no chromium")
    from .test_watch import day_file, normal_day

    (tmp_path / "in").mkdir()
    start, n = dt.date(2024, 6, 1), 0
    for i in list(range(5)) + list(range(11, 16)):  # nothing from the 6th to the 11th
        n += day_file(tmp_path / "in" / f"d{i:02d}.parquet", start + dt.timedelta(i), normal_day(i), n)
    run(wargs(tmp_path))
    page = tmp_path / "idx" / "index.html"
    assert "<title>emopulse watch" in page.read_text()
    img = screenshot(page, tmp_path, "dashboard")
    first, width = max(empty_runs(img), key=lambda r: r[1])
    assert width > 150, empty_runs(img)
    strip = img[105:380, first + 10 : first + width - 10]
    background = (np.abs(strip - np.array([229, 236, 246])).sum(-1) < 30) | (strip.min(-1) > 235)
    assert (~background).sum() < 10
