"""The index model with planted effects: a holiday dip and a weekday effect recovered within their
intervals, no alert after adjustment where the raw rule fires; a covariate's known coefficient
recovered; the online adjustment never reads a later period."""

import datetime as dt
import json

import holidays
import numpy as np
import polars as pl
import pytest

from emopulse.core.errors import InputError
from emopulse.index import IndexArgs, run

from .planted import days, rows_for

DIP, SUNDAY = -8.0, 3.0


def _holiday_data(tmp_path, rng, n_days=740, start=dt.date(2022, 1, 1)):
    kr = holidays.country_holidays("KR", years=[2022, 2023, 2024])
    means = {
        d: (60 + (DIP if d in kr else 0) + (SUNDAY if d.weekday() == 6 else 0) + rng.normal(0, 0.5), 300)
        for d in days(start, n_days)
    }
    path = tmp_path / "p.parquet"
    rows_for(means, rng).write_parquet(path)
    return str(path), {d for d in means if d in kr}


def test_a_planted_holiday_dip_is_recovered_and_not_an_alert(tmp_path):
    rng = np.random.default_rng(25)
    path, hol = _holiday_data(tmp_path, rng)
    s = run(IndexArgs(inputs=[path], output=str(tmp_path / "o"), calendar=True))
    rep = json.load(open(tmp_path / "o" / "covariates.json"))["fit"]
    terms = {t["term"]: t for t in rep["terms"]}
    for name in ("holiday_seollal_chuseok", "holiday_other"):
        assert terms[name]["lo"] <= DIP <= terms[name]["hi"], terms[name]
        assert terms[name]["hi"] - terms[name]["lo"] < 2.0
    assert abs(terms["dow_Sun"]["coef"] - SUNDAY) < 4 * terms["dow_Sun"]["se"]  # 3.27 +- 0.09 at this seed
    assert abs(terms["dow_Wed"]["coef"]) < 4 * terms["dow_Wed"]["se"]
    assert rep["variance_explained"]["all calendar"] > 0.5
    df = pl.read_parquet(tmp_path / "o" / "index.parquet")
    on_holidays = df.filter(pl.col("period").is_in(sorted(hol)))
    assert on_holidays["anomaly_raw"].sum() >= 5  # the raw rule flags the dips ...
    assert on_holidays["anomaly"].sum() == 0  # ... the residual rule does not
    assert s["anomalies_judged_on"] == "index_resid" and len(s["anomalies"]) <= 4
    # index_adj: the dip removed, the level kept
    adj_hol = on_holidays["index_adj"].mean()
    adj_rest = df.filter(~pl.col("period").is_in(sorted(hol)))["index_adj"].mean()
    assert abs(adj_hol - adj_rest) < 1.0 and abs(df["index_adj"].mean() - df["index"].mean()) < 0.1
    md = (tmp_path / "o" / "covariates.md").read_text()
    assert "holiday_seollal_chuseok" in md and "95 % interval" in md and "Share of the index's variance" in md


def test_online_adjustment_never_reads_a_later_period(tmp_path):
    rng = np.random.default_rng(7)
    start = dt.date(2023, 1, 1)
    means = {d: (55 + (3 if d.weekday() >= 5 else 0) + rng.normal(0, 1), 100) for d in days(start, 160)}
    a = rows_for(means, rng)
    a.write_parquet(tmp_path / "a.parquet")
    # b: the same rows up to 2023-04-14, a very different future (and more of it)
    after = rows_for(dict.fromkeys(days(dt.date(2023, 4, 15), 120), (90, 300)), rng)
    pl.concat([a.filter(pl.col("date") < dt.date(2023, 4, 15)), after]).write_parquet(tmp_path / "b.parquet")
    cut = pl.col("period") < dt.date(2023, 4, 15)
    (tmp_path / "spec.toml").write_text('[[input]]\nseries = "index_adj"\nsign = 1\nweight = 1\n')
    out = {}
    for name in ("a", "b"):
        for online in (True, False):
            run(
                IndexArgs(
                    inputs=[str(tmp_path / f"{name}.parquet")],
                    output=str(tmp_path / f"{name}{online}"),
                    calendar=True,
                    online=online,
                    composite=str(tmp_path / "spec.toml"),
                )
            )
            out[name, online] = pl.read_parquet(tmp_path / f"{name}{online}" / "index.parquet").filter(cut)
    cols = [
        "index",
        "calendar_effect",
        "index_adj",
        "index_fit",
        "index_resid",
        "anomaly",
        "anomaly_z",
        "composite",
        "composite_lo",
        "composite_hi",
    ]
    assert out["a", True]["index"].equals(out["b", True]["index"])  # the past is the same
    assert out["a", True].select(cols).equals(out["b", True].select(cols))
    assert out["a", True]["index_adj"].drop_nulls().len() == 104 - 28  # adjusted after 28 days (the baseline)
    # the full-sample fit does read the future: the same past periods get other adjustments
    assert not out["a", False]["index_adj"].equals(out["b", False]["index_adj"])


def test_a_covariate_with_a_known_coefficient_is_recovered(tmp_path):
    rng = np.random.default_rng(3)
    start = dt.date(2023, 1, 2)
    ds = days(start, 300)
    stock = np.cumsum(rng.normal(0, 1, len(ds)))  # daily
    months = sorted({d.replace(day=1) for d in ds})
    unemp = dict(zip(months, rng.uniform(2, 6, len(months))))  # monthly, dated on the 1st
    # the stock series on trading days only (weekends carried from Friday), the rate monthly, as CSV
    cov = pl.concat(
        [
            pl.DataFrame(
                {
                    "date": [d.isoformat() for i, d in enumerate(ds) if d.weekday() < 5],
                    "stock": [stock[i] for i, d in enumerate(ds) if d.weekday() < 5],
                    "unemployment": None,
                }
            ),
            pl.DataFrame(
                {"date": [m.isoformat() for m in months], "stock": None, "unemployment": list(unemp.values())}
            ),
        ],
        how="vertical_relaxed",
    )
    cov.write_csv(tmp_path / "cov.csv")
    # the truth: index = 50 + 1.5 stock - 2 unemployment (+ noise), with the stock at the last trading day
    means = {
        d: (
            50
            + 1.5 * stock[i - (d.weekday() - 4 if d.weekday() > 4 else 0)]
            - 2.0 * unemp[d.replace(day=1)]
            + rng.normal(0, 0.5),
            200,
        )
        for i, d in enumerate(ds)
    }
    rows_for(means, rng).write_parquet(tmp_path / "p.parquet")
    run(
        IndexArgs(
            inputs=[str(tmp_path / "p.parquet")], output=str(tmp_path / "o"), covariates=str(tmp_path / "cov.csv")
        )
    )
    terms = {t["term"]: t for t in json.load(open(tmp_path / "o" / "covariates.json"))["fit"]["terms"]}
    assert terms["stock"]["lo"] <= 1.5 <= terms["stock"]["hi"] and terms["stock"]["hi"] - terms["stock"]["lo"] < 0.2
    assert terms["unemployment"]["lo"] <= -2.0 <= terms["unemployment"]["hi"]
    df = pl.read_parquet(tmp_path / "o" / "index.parquet")
    assert df["cov_unemployment"][0] == pytest.approx(unemp[months[0]])
    assert {"index_fit", "index_resid", "cov_stock"} <= set(df.columns)


def test_covariates_are_aligned_by_the_documented_rule():
    from emopulse.index.covariates import align

    cov = pl.DataFrame(
        {"date": [dt.date(2024, 1, 3), dt.date(2024, 1, 4), dt.date(2024, 1, 20)], "x": [1.0, 3.0, 10.0]}
    )
    weeks = pl.Series(
        "period",
        [dt.date(2023, 12, 25), dt.date(2024, 1, 1), dt.date(2024, 1, 8), dt.date(2024, 1, 15), dt.date(2024, 1, 22)],
    )
    got = align(cov, weeks, "week")["x"].to_list()
    # before the first value: null (never from the future); a week's mean; carried; the 20th's week
    assert got == [None, 2.0, 3.0, 10.0, 10.0]
    got = align(cov, pl.Series("period", [dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 19)]), "day")
    assert got["x"].to_list() == [None, 1.0, 3.0]


def test_bad_covariates_name_the_file_and_column(tmp_path):
    def index_with(cov):
        run(IndexArgs(inputs=[str(tmp_path / "p.parquet")], output=str(tmp_path / "o"), covariates=str(cov)))

    rng = np.random.default_rng(0)
    rows_for(dict.fromkeys(days(dt.date(2024, 1, 1), 60), (50, 50)), rng).write_parquet(tmp_path / "p.parquet")
    pl.DataFrame({"day": ["2024-01-01"], "x": [1.0]}).write_csv(tmp_path / "c.csv")
    with pytest.raises(InputError, match=r"c\.csv: no date column 'date'"):
        index_with(tmp_path / "c.csv")
    pl.DataFrame({"date": ["2024-01-01", "soon"], "x": [1.0, 2.0]}).write_csv(tmp_path / "c.csv")
    with pytest.raises(InputError, match=r"row 1, column 'date': 'soon'"):
        index_with(tmp_path / "c.csv")
    pl.DataFrame({"date": ["2024-01-01"], "x": ["high"]}).write_csv(tmp_path / "c.csv")
    with pytest.raises(InputError, match="column 'x' is String, not numeric"):
        index_with(tmp_path / "c.csv")
