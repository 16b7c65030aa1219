"""Predictions as a lazy polars frame with a clean `period` column; bad dates caught up front."""

from __future__ import annotations

import glob
from datetime import date, timedelta

import polars as pl

from ..core import storage
from ..core.errors import InputError
from ..core.schema import LABEL_COL

FREQ = {"day": "1d", "week": "1w", "month": "1mo"}


def _run_parts(run: str, allow_partial: bool = False) -> list[str]:
    """The part files of one run directory, checked against its manifest: a part the manifest records
    must be there with its recorded size (a truncated or swapped part is named, not a polars traceback)."""
    from ..core.parts import load_run

    names = [
        n
        for n in storage.listdir(run)
        if n.endswith(".parquet") and not n.startswith(("_", ".")) and storage.isfile(storage.join(run, n))
    ]
    m = load_run(run)
    if m is None:
        return [storage.join(run, n) for n in names]
    out = []
    for name in names:
        rec, path = m.parts.get(name[: -len(".parquet")]), storage.join(run, name)
        if rec is None:
            if allow_partial:
                continue  # a part being committed right now
            raise InputError(f"{path}: a part file the run's manifest does not list")
        if storage.size(path) != rec.bytes:
            raise InputError(
                f"{path}: {storage.size(path)} bytes, the manifest records {rec.bytes} "
                "(truncated or replaced); rerun serve-batch with --resume to recompute it"
            )
        out.append(path)
    return out


def _walk_runs(path: str, allow_partial: bool) -> list[str]:
    """Part files of `path` and of every run directory below it: serve-batch's layout, watch's (one
    run per input file) and any nesting of them read as one dataset. A run without _SUCCESS is
    refused unless allow_partial."""
    from ..core.parts import run_status

    files: list[str] = []
    complete, why = run_status(path)
    if not complete and not allow_partial:
        raise InputError(f"{path}: the run is not complete: {why}; or pass --allow-partial")
    files += _run_parts(path, allow_partial)
    for name in sorted(storage.listdir(path)):
        sub = storage.join(path, name)
        if not name.startswith(("_", ".")) and storage.isdir(sub):
            files += _walk_runs(sub, allow_partial)
    return files


def resolve(paths: list[str], allow_partial: bool = False) -> list[str]:
    """Directories mean the part files of the run(s) in them (dead-letter and bookkeeping skipped; see
    _walk_runs); a serve-batch run without its _SUCCESS marker is refused unless allow_partial."""
    files: list[str] = []
    for p in paths:
        remote = storage.is_remote(p)
        if storage.isdir(p):
            files += _walk_runs(p, allow_partial)
        elif any(c in p for c in "*?["):
            files += storage.glob(p) if remote else sorted(glob.glob(p, recursive=True))
        elif storage.isfile(p):
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or directory")
    files = [f for f in files if not storage.basename(f).startswith(("_", "."))]
    if not files and not _empty_run_labels(paths):
        raise InputError(f"no prediction files in {', '.join(paths)}")
    return files


def _empty_run_labels(paths: list[str]) -> list[str] | None:
    """The labels of complete runs of zero rows (their manifests' model labels), or None."""
    from ..core.parts import load_run

    for p in paths:
        if storage.isdir(p) and storage.exists(storage.join(p, "_SUCCESS")):
            m = load_run(p)
            labels = m.fingerprint.get("labels") if m else None
            if labels:
                return list(labels)
    return None


# an ISO date-time whose text ends in an offset or Z: an instant, moved to --timezone's calendar
_AWARE = r"(?:[Tt ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"
_AWARE_FORMATS = ("%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M%z")


def local_date(raw: pl.Expr, dtype, timezone: str, where: str) -> pl.Expr:
    """The calendar date in `timezone` of a date column, by one rule for every type: an instant (a
    timestamp with a time zone, an ISO string with an offset or Z) is converted to `timezone`; a
    naive timestamp or string and a date are taken as local already."""
    if dtype == pl.Date:
        return raw
    if isinstance(dtype, pl.Datetime):
        return (raw.dt.convert_time_zone(timezone) if dtype.time_zone else raw).dt.date()
    if dtype in (pl.String, pl.Utf8):
        norm = raw.str.strip_chars().str.replace(r"[Zz]$", "+00:00").str.replace(r"^(\d{4}-\d{2}-\d{2})[Tt ]", "${1} ")
        instant = pl.coalesce(*[norm.str.to_datetime(f, strict=False, time_zone="UTC") for f in _AWARE_FORMATS])
        naive = pl.coalesce(raw.str.to_date(strict=False), raw.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
        return pl.when(raw.str.contains(_AWARE)).then(instant.dt.convert_time_zone(timezone).dt.date()).otherwise(naive)
    raise InputError(f"{where}: date column is {dtype}; expected a date, timestamp or ISO string")


def scan(
    paths: list[str], date_col: str, timezone: str, allow_partial: bool = False, extra: tuple[str, ...] = ()
) -> tuple[pl.LazyFrame, list[str], list[str]]:
    """(frame with `date` as pl.Date, the label / p_ columns and the `extra` columns as strings (a
    stratum such as `source`; null stays null), labels, files). Files whose date columns differ in
    type (date32 in one part, strings in another) are each converted by `local_date` and read as one
    frame."""
    extra = tuple(c for c in dict.fromkeys(extra) if c != date_col)
    files = resolve(paths, allow_partial)
    if not files:  # complete runs of zero rows: an empty frame, an empty index
        labels = _empty_run_labels(paths)
        empty = pl.DataFrame(
            schema={
                "date": pl.Date,
                "_date_null": pl.Boolean,
                "_date_raw": pl.String,
                LABEL_COL: pl.String,
                **{f"p_{lab}": pl.Float32 for lab in labels},
                **dict.fromkeys(extra, pl.String),
            }
        )
        return empty.lazy(), labels, []
    groups: dict[str, list[str]] = {}
    schemas = {}
    for f in files:
        try:
            sch = storage.scan_parquet([f]).collect_schema()
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise InputError(f"{f}: cannot be read as Parquet ({str(exc).splitlines()[0]})") from None
        key = str(sch.get(date_col)) + "|" + ",".join(n for n in sch.names() if n.startswith("p_"))
        groups.setdefault(key, []).append(f)
        schemas[key] = sch
    frames, labels = [], None
    for key, group in groups.items():
        schema = schemas[key]
        if date_col not in schema:
            raise InputError(
                f"{group[0]}: no date column {date_col!r} (columns: {', '.join(schema.names())}); "
                "run serve-batch with --keep-cols date, or pass --date-col"
            )
        if LABEL_COL not in schema:
            raise InputError(f"{group[0]}: no {LABEL_COL!r} column: not serve-batch predictions")
        got = [c[2:] for c in schema.names() if c.startswith("p_")]
        if not got:
            raise InputError(f"{group[0]}: no p_<label> columns: not serve-batch predictions")
        if labels is not None and got != labels:
            raise InputError(f"{group[0]}: labels {got} differ from {labels} of {files[0]}")
        labels = got
        for col in extra:
            if col not in schema:
                raise InputError(
                    f"{group[0]}: no column {col!r} to stratify by (columns: "
                    f"{', '.join(schema.names())}); run serve-batch with --keep-cols {date_col},{col}"
                )
        raw = pl.col(date_col)
        date = local_date(raw, schema[date_col], timezone, f"{group[0]}: {date_col!r}")
        cols = [
            date.alias("date"),
            raw.is_null().alias("_date_null"),
            raw.cast(pl.String).alias("_date_raw"),
            pl.col(LABEL_COL).cast(pl.String),
        ] + [pl.col(f"p_{lab}") for lab in labels]  # as written: a cast would change the sums
        cols += [pl.col(c).cast(pl.String) for c in extra]
        frames.append(storage.scan_parquet(group).select(cols))
    return (frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical_relaxed")), labels, files


def check_dates(
    lf: pl.LazyFrame, drop_bad: bool, lo: date | None = None, hi: date | None = None, keep_undated: bool = False
) -> tuple[pl.LazyFrame, int, int]:
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
        raise InputError(
            f"{n_bad} rows have unparseable dates or dates outside {lo} .. {hi} ({examples}); "
            "fix them or pass --drop-bad-dates"
        )
    lf = lf if keep_undated else lf.filter(pl.col("date").is_not_null())
    return lf.drop("_date_null", "_date_raw"), n_bad, n_null
