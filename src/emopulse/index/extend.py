"""The options beyond the plain index, applied to the index table in one order (index and watch):
source-mix adjustment (--strata), the calendar/covariate model (--calendar, --covariates) with
anomalies judged on its residual, the composite score (--composite), per-source tables (--by)."""

from __future__ import annotations

import numpy as np
import polars as pl

from . import calendar, composite, covariates, model, strata
from .args import PeriodArgs
from .compute import Z, rule


def enrich(
    df: pl.DataFrame, labels: list[str], args: PeriodArgs, by_sums: dict[str, pl.DataFrame], online: bool
) -> tuple[pl.DataFrame, dict]:
    """(the index table with the new columns, a record of what was done: model report, weights,
    composite inputs, holidays in range, per-stratum tables). `by_sums`: per (period, stratum) sums
    for each column of args.group_cols (period null: undated rows, counted in the overall table)."""
    extra: dict = {}
    base = "index"
    if args.strata:
        w = strata.weights(args.strata_weights, strata.counts(by_sums[args.strata], args.strata))
        df = strata.stratify(df, by_sums[args.strata], args.strata, labels, w)
        extra["strata"] = {
            "column": args.strata,
            "weights": w,
            "spec": args.strata_weights,
            "periods_missing_a_stratum": int((df["strata_missing"] != "").sum()),
        }
        base = "index_strat"
    cov = None
    if args.covariates:
        cov = covariates.align(covariates.read(args.covariates, args.covariates_date_col), df["period"], args.freq)
        df = df.with_columns([cov[c].alias(f"cov_{c}") for c in cov.columns if c != "period"])
    if args.modelled and df.height:
        df, extra["model"] = _model(df, base, cov, args, online)
        extra["holidays"] = {
            str(d): n for d, n in calendar.holiday_dates(df["period"].min(), df["period"].max(), args.holidays).items()
        }
        base = "index_resid"
    if base != "index" and df.height:
        # the anomaly rule moves to the adjusted series; the raw rule's verdict stays beside it
        df = df.rename({"anomaly": "anomaly_raw", "anomaly_z": "anomaly_raw_z"})
        se = pl.col("_se") if "_se" in df.columns else (pl.col(f"{base}_hi") - pl.col(f"{base}_lo")) / (2 * Z)
        df = df.with_columns(
            rule(pl.col(base), se, args.freq, args.window, args.k, f"{base}_rolling", "anomaly_z", "anomaly")
        )
        extra["anomalies_judged_on"] = base
    df = df.drop("_se", strict=False)
    if args.composite:
        names = [c for c in df.columns if c.startswith(("index", "cov_"))]
        spec = composite.read_spec(args.composite, names + [c[4:] for c in names if c.startswith("cov_")])
        for x in spec:
            if f"cov_{x['series']}" in df.columns and x["series"] not in df.columns:
                x["series"] = f"cov_{x['series']}"
        df, extra["composite"] = composite.compose(df, spec, online)
        extra["composite"]["spec_file"] = args.composite
    if args.by:
        extra["by"] = strata.by_source(
            by_sums[args.by], args.by, labels, args.freq, args.min_count, args.window, args.k, df["period"]
        )
        extra["by_overall"] = strata.overall(by_sums[args.by], args.by, labels)
    return df, extra


def _model(df: pl.DataFrame, base: str, cov: pl.DataFrame | None, args: PeriodArgs, online: bool):
    periods = df["period"].to_list()
    cal = calendar.terms(periods, args.freq, args.holidays)
    x = cal if cov is None else pl.concat([cov.drop("period"), cal], how="horizontal")
    y = df[base].cast(pl.Float64).fill_null(np.nan).to_numpy()
    use = np.isfinite(y) & ~df["low_count"].to_numpy()
    if cov is not None:
        use &= np.all(np.isfinite(cov.drop("period").fill_null(np.nan).to_numpy()), axis=1)
    report = None
    import warnings

    from ..core.errors import InputError

    # a constant index (a test, a day of identical comments) has no variance to explain: its R²
    # and standard errors are NaN (reported as null), not a warning per fit
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            full = model.fit_full(y, use, x, cal.columns, periods)
            report = full["report"]
        except InputError:
            if not online:
                raise
            full = None  # watch's first days: too few periods for a fit yet
        got = model.fit_online(y, use, x, cal.columns, periods, args.freq) if online else full
    df = model.columns(df, base, got["calendar_effect"], got["index_fit"])
    record = {
        "target": base,
        "online": online,
        "covariates": args.covariates,
        "holidays_country": args.holidays,
        "fit": report,
    }
    return df, record
