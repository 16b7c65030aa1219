"""index: predictions -> per-period distribution, index, bands, anomalies, charts."""

from __future__ import annotations

import json
import os
import time
from datetime import date

import polars as pl

from ..core import storage
from ..core.errors import InputError
from ..core.progress import Progress
from . import charts
from .adjust import adjust, load_confusion
from .args import IndexArgs
from .compute import aggregate, fill_calendar, finish, scaled_weights, sums
from .load import check_dates, scan

FREQ_WORD = {"day": "daily", "week": "weekly", "month": "monthly"}


def adjusted(df: pl.DataFrame, labels: list[str], m, weights: dict) -> pl.DataFrame:
    """adj_<label>: shares corrected for the classifier's confusions; index_adj from them."""
    soft = df.select([pl.col(f"soft_{lab}").cast(pl.Float64) for lab in labels]).to_numpy()
    est = adjust(soft, m)
    w = scaled_weights(weights, labels)
    cols = {f"adj_{lab}": est[:, j] for j, lab in enumerate(labels)}
    cols["index_adj"] = 100 * sum(est[:, j] * w[lab] for j, lab in enumerate(labels))
    return df.with_columns([pl.Series(k, v).fill_nan(None) for k, v in cols.items()])


def write_csv(df: pl.DataFrame, path: str) -> None:
    """index.csv for people and spreadsheets: 4 decimals (shares to 0.01 %, the index to 0.0001), not
    float64's 17 digits; index.parquet keeps full precision."""
    df.write_csv(path, float_precision=4)


def run(args: IndexArgs) -> dict:
    t0 = time.perf_counter()
    storage.configure(args.storage_options)
    groups = args.group_cols
    lf, labels, files = scan(args.inputs, args.date_col, args.timezone, args.allow_partial, extra=tuple(groups))
    try:
        lf, n_bad, n_null_dates = check_dates(
            lf,
            args.drop_bad_dates,
            date.fromisoformat(args.min_date),
            date.fromisoformat(args.max_date) if args.max_date else None,
            keep_undated=bool(groups),
        )
        dated = lf.filter(pl.col("date").is_not_null()) if groups else lf
        # one lazy query: no rows to count until it ends, so a line every 30 s says it is alive (large
        # inputs, object storage); a terminal gets the same lines (a bar would not move)
        with Progress(None, f"index: {len(files)} file(s)", mode="heartbeat", every=30.0):
            df = aggregate(dated, labels, args.freq, args.weights, args.hard)
    except pl.exceptions.PolarsError as exc:  # a corrupt part the size check cannot see
        raise InputError(
            f"{', '.join(args.inputs)}: the predictions cannot be read "
            f"({type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]})"
        ) from None
    df = finish(fill_calendar(df, args.freq), labels, args.freq, args.min_count, args.window, args.k)
    if args.adjust:
        df = adjusted(
            df, labels, load_confusion(None if args.adjust == "default" else args.adjust, labels), args.weights
        )
    extra: dict = {}
    if args.extended:
        from .extend import enrich

        by_sums = {c: sums(lf, labels, args.freq, args.weights, args.hard, by=c) for c in groups}
        df, extra = enrich(df, labels, args, by_sums, args.online)
    title = (
        f"emopulse — {FREQ_WORD[args.freq]} emotion shares and mental-health index ({int(df['n'].sum()):,} comments)"
    )
    with storage.output_dir(args.output) as out:
        df.write_parquet(os.path.join(out, "index.parquet"))
        write_csv(df, os.path.join(out, "index.csv"))
        charts.png(df, labels, os.path.join(out, "index.png"), title, holidays=extra.get("holidays"))
        if args.html:
            charts.html(df, labels, out, title, holidays=extra.get("holidays"))
        summary = _summary(args, df, files, n_bad, n_null_dates, t0)
        if extra:
            from . import report

            report.write(out, df, labels, extra, args, title)
            summary |= report.summary(extra)
        with open(os.path.join(out, "_summary.json"), "w") as f:
            json.dump(summary, f, indent=2, default=str)
    return summary


def _summary(args: IndexArgs, df: pl.DataFrame, files: list[str], n_bad: int, n_null_dates: int, t0: float) -> dict:
    rows = int(df["n"].sum() + df["n_unlabelled"].sum())
    wall = time.perf_counter() - t0
    summary = {
        "files": len(files),
        "rows": rows + n_bad + n_null_dates,
        "rows_labelled": int(df["n"].sum()),
        "rows_unlabelled": int(df["n_unlabelled"].sum()),
        "rows_bad_dates_dropped": n_bad,
        "rows_nonfinite_probabilities": int(df["n_nonfinite"].sum()) if "n_nonfinite" in df.columns else 0,
        "rows_without_date": n_null_dates,
        "periods": df.height,
        "freq": args.freq,
        "low_count_periods": int(df["low_count"].sum()),
        "anomalies": df.filter(pl.col("anomaly"))["period"].cast(pl.String).to_list(),
        "weights": args.weights,
        "soft": not args.hard,
        "mean_index": float(df["index"].mean()) if df.height else None,
        "seconds": round(wall, 3),
        "rows_per_s": round((rows + n_bad + n_null_dates) / wall, 1),
    }
    return summary
