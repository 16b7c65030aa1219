"""Covariates: a Parquet or CSV file of a date column and numeric series of any frequency, aligned
to the index's periods.

The rule, per series (each column on its own, nulls skipped):
- a period with observations dated inside it gets their mean (a daily stock index on a weekly
  index: the week's mean);
- a period without one carries the last value observed before it (a monthly unemployment rate,
  dated on the month's first day, holds for every day of that month and after, until the next);
- never a value from the future: a period before a series' first observation stays null (and is
  left out of the model fit).
"""

from __future__ import annotations

import polars as pl

from ..core import storage
from ..core.errors import InputError
from .load import FREQ


def read(path: str, date_col: str = "date") -> pl.DataFrame:
    """(date: pl.Date, one Float64 column per series), sorted by date. Errors name the file and the
    column or row: a missing date column, an unparseable date, a non-numeric column, no series."""
    if not storage.exists(path):
        raise InputError(f"{path}: no such covariates file")
    try:
        if path.lower().endswith(".csv"):
            df = pl.read_csv(storage.read_bytes(path), try_parse_dates=False, infer_schema_length=10_000)
        else:
            df = pl.read_parquet(storage.read_bytes(path))
    except Exception as exc:  # noqa: BLE001 - polars raises many kinds for a bad file
        raise InputError(f"{path}: not a readable Parquet/CSV covariates file ({type(exc).__name__}: {exc})") from None
    if date_col not in df.columns:
        raise InputError(
            f"{path}: no date column {date_col!r} (columns: {', '.join(df.columns)}); pass --covariates-date-col"
        )
    raw = df[date_col]
    if raw.dtype == pl.Date:
        dates = raw
    elif isinstance(raw.dtype, pl.Datetime):
        dates = raw.dt.date()
    else:
        dates = raw.cast(pl.String).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        bad = dates.is_null() & raw.is_not_null()
        if bad.any():
            row = int(bad.arg_max())
            raise InputError(f"{path}: row {row}, column {date_col!r}: {raw[row]!r} is not a YYYY-MM-DD date")
    series = [c for c in df.columns if c != date_col]
    if not series:
        raise InputError(f"{path}: no covariate columns beside {date_col!r}")
    for c in series:
        if not df[c].dtype.is_numeric():
            raise InputError(f"{path}: column {c!r} is {df[c].dtype}, not numeric")
    out = pl.DataFrame({"date": dates}).with_columns([df[c].cast(pl.Float64).alias(c) for c in series])
    return out.filter(pl.col("date").is_not_null()).sort("date")


def align(cov: pl.DataFrame, periods: pl.Series, freq: str) -> pl.DataFrame:
    """One row per period of `periods` (sorted pl.Date, the index's period starts) with each
    series' value by the module's rule. Columns: period, then the series (Float64, null before a
    series' first observation)."""
    out = pl.DataFrame({"period": periods})
    for c in [c for c in cov.columns if c != "date"]:
        s = cov.select("date", c).drop_nulls()
        s = s.with_columns(pl.col(c).fill_nan(None)).drop_nulls()
        per = (
            s.with_columns(pl.col("date").dt.truncate(FREQ[freq]).alias("period"))
            .group_by("period")
            .agg(pl.col(c).mean())
            .sort("period")
        )
        within = out.join(per, on="period", how="left")
        # last value observed before the period's start: an as-of join on strictly earlier dates
        before = (
            pl.DataFrame({"period": periods})
            .with_columns((pl.col("period") - pl.duration(days=1)).alias("_t"))
            .sort("_t")
            .join_asof(s.rename({"date": "_t", c: "_last"}).sort("_t"), on="_t", strategy="backward")
        )
        out = out.with_columns(pl.coalesce(within[c], before.sort("period")["_last"]).alias(c))
    return out
