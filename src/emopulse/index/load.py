"""Predictions as a lazy polars frame with a clean `period` column; bad dates caught up front."""
from __future__ import annotations

import glob
from datetime import date, timedelta

import polars as pl

from ..core import storage
from ..core.errors import InputError
from ..core.schema import LABEL_COL

FREQ = {"day": "1d", "week": "1w", "month": "1mo"}


def resolve(paths: list[str], allow_partial: bool = False) -> list[str]:
    """Directories mean their top-level part files (dead-letter and bookkeeping are skipped); a
    serve-batch run without its _SUCCESS marker is refused unless allow_partial."""
    from ..core.parts import run_status
    files: list[str] = []
    for p in paths:
        remote = storage.is_remote(p)
        if storage.isdir(p):
            complete, why = run_status(p)
            if not complete and not allow_partial:
                raise InputError(f"{p}: the run is not complete: {why}; or pass --allow-partial")
            files += [storage.join(p, n) for n in storage.listdir(p) if n.endswith(".parquet")]
        elif any(c in p for c in "*?["):
            files += storage.glob(p) if remote else sorted(glob.glob(p))
        elif storage.isfile(p):
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or directory")
    files = [f for f in files if not storage.basename(f).startswith(("_", "."))]
    if not files:
        raise InputError(f"no prediction files in {', '.join(paths)}")
    return files


def scan(paths: list[str], date_col: str, timezone: str, allow_partial: bool = False,
         extra: tuple[str, ...] = ()) -> tuple[pl.LazyFrame, list[str], list[str]]:
    """(frame with `date` as pl.Date, the label / p_ columns and the `extra` columns as strings
    (a stratum such as `source`; null stays null), labels, files)."""
    files = resolve(paths, allow_partial)
    lf = storage.scan_parquet(files)
    schema = lf.collect_schema()
    if date_col not in schema:
        raise InputError(f"{files[0]}: no date column {date_col!r} (columns: {', '.join(schema.names())}); "
                         "run serve-batch with --keep-cols date, or pass --date-col")
    if LABEL_COL not in schema:
        raise InputError(f"{files[0]}: no {LABEL_COL!r} column: not serve-batch predictions")
    labels = [c[2:] for c in schema.names() if c.startswith("p_")]
    if not labels:
        raise InputError(f"{files[0]}: no p_<label> columns: not serve-batch predictions")
    for col in extra:
        if col not in schema:
            raise InputError(f"{files[0]}: no column {col!r} to stratify by (columns: {', '.join(schema.names())}); "
                             f"run serve-batch with --keep-cols {date_col},{col}")
    dtype = schema[date_col]
    raw = pl.col(date_col)
    if dtype == pl.Date:
        date = raw
    elif isinstance(dtype, pl.Datetime):
        # aware timestamps are moved to the local calendar; naive ones are taken as local already
        date = (raw.dt.convert_time_zone(timezone) if dtype.time_zone else raw).dt.date()
    elif dtype in (pl.String, pl.Utf8):
        # ISO strings are read as local calendar dates (their date part)
        date = pl.coalesce(raw.str.to_date(strict=False),
                           raw.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
    else:
        raise InputError(f"{files[0]}: date column {date_col!r} is {dtype}; expected a date, timestamp or ISO string")
    cols = [date.alias("date"), raw.is_null().alias("_date_null"),
            raw.cast(pl.String).alias("_date_raw"), pl.col(LABEL_COL)] + [pl.col(f"p_{lab}") for lab in labels]
    cols += [pl.col(c).cast(pl.String) for c in dict.fromkeys(extra) if c != date_col]
    return lf.select(cols), labels, files


def check_dates(lf: pl.LazyFrame, drop_bad: bool, lo: date | None = None, hi: date | None = None,
                keep_undated: bool = False) -> tuple[pl.LazyFrame, int, int]:
    """(frame without rows lacking a date, bad-date rows dropped, null-date rows); with keep_undated
    the rows without a date stay in, their `date` null (dropped bad dates too).

    A value that is present but unparseable, or outside [lo, hi] (year 1 or 9999 would make
    millions of empty daily periods), is an error unless --drop-bad-dates."""
    lo = lo or date(1900, 1, 1)
    hi = hi or date.today() + timedelta(days=366)
    outside = (pl.col("date") < lo) | (pl.col("date") > hi)
    lf = lf.with_columns(pl.when(outside).then(None).otherwise(pl.col("date")).alias("date"))
    bad = pl.col("date").is_null() & ~pl.col("_date_null")
    counts = lf.select(bad.sum().alias("bad"), pl.col("_date_null").sum().alias("null")).collect(engine="streaming")
    n_bad, n_null = int(counts["bad"][0]), int(counts["null"][0])
    if n_bad and not drop_bad:
        sample = lf.with_row_index("row").filter(bad).select("row", "_date_raw").head(3).collect()
        examples = ", ".join(f"row {r}: {v!r}" for r, v in sample.iter_rows())
        raise InputError(f"{n_bad} rows have unparseable dates or dates outside {lo} .. {hi} ({examples}); "
                         "fix them or pass --drop-bad-dates")
    lf = lf if keep_undated else lf.filter(pl.col("date").is_not_null())
    return lf.drop("_date_null", "_date_raw"), n_bad, n_null
