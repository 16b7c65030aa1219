"""Per-period emotion distribution and the mental-health index, with 95 % bands and anomalies.

The index (0-100, higher = healthier) is 100 x the weighted mean of each row's emotion
probabilities, weights rescaled to [0, 1]: by default happiness 1, neutral 0.5, sadness and
anger 0 — a valence scale where a day of only neutral comments scores 50. From hard labels
(--hard) each row scores its label's weight instead.

Bands (95 %): the Wilson score interval (`wilson`) for hard shares, soft shares and the index
alike: it has positive width and holds the estimate at any n, a day of one comment included, where
the normal (Wald) interval mean +- 1.96 sd / sqrt(n) had zero width; at large n the two agree.
"""

from __future__ import annotations

import math

import polars as pl

from ..core.errors import InputError
from .load import FREQ

Z = 1.959963984540054
WINDOW = {"day": 7, "week": 4, "month": 3}
BASELINE = {"day": 28, "week": 12, "month": 12}  # periods behind the sd of the anomaly test


def scaled_weights(weights: dict[str, float], labels: list[str]) -> dict[str, float]:
    unknown = sorted(set(weights) - set(labels))
    if unknown:
        raise InputError(f"--weights names {', '.join(unknown)}, not among the model's labels {labels}")
    w = {lab: float(weights.get(lab, 0.0)) for lab in labels}
    lo, hi = min(w.values()), max(w.values())
    if hi == lo:
        raise InputError("--weights must not give every label the same weight")
    return {lab: (v - lo) / (hi - lo) for lab, v in w.items()}


def sums(
    lf: pl.LazyFrame, labels: list[str], freq: str, weights: dict[str, float], hard: bool, by: str | None = None
) -> pl.DataFrame:
    """One row per period (per period and value of column `by`, when given) of additive statistics
    (counts, sums, sums of squares), streamed with no row kept. Sums of two sets of rows are the sums
    of their union: `watch` folds each new file's sums into the ones it keeps, so an update costs the
    new rows, not the history."""
    w = scaled_weights(weights, labels)
    # a row counts when it has a label and finite probabilities (NaN/inf rows are counted apart)
    finite = pl.all_horizontal([pl.col(f"p_{lab}").cast(pl.Float64).is_finite().fill_null(False) for lab in labels])
    labelled = pl.col("label").is_not_null() & finite
    if hard:
        score = pl.col("label").replace_strict(w, default=None, return_dtype=pl.Float64) * 100
    else:
        score = pl.sum_horizontal([pl.col(f"p_{lab}").cast(pl.Float64) * w[lab] for lab in labels]) * 100
    score = pl.when(labelled).then(score)
    aggs = [
        labelled.sum().cast(pl.Int64).alias("n"),
        (~labelled).sum().cast(pl.Int64).alias("n_unlabelled"),
        (pl.col("label").is_not_null() & ~finite).sum().cast(pl.Int64).alias("n_nonfinite"),
        score.sum().alias("_index_sum"),
        (score**2).sum().alias("_index_sq_sum"),
    ]
    for lab in labels:
        p = pl.when(labelled).then(pl.col(f"p_{lab}").cast(pl.Float64))
        aggs += [
            (pl.col("label") == lab).sum().cast(pl.Int64).alias(f"count_{lab}"),
            p.sum().alias(f"_soft_sum_{lab}"),
            (p**2).sum().alias(f"_soft_sq_sum_{lab}"),
        ]
    keys = ["period"] if by is None else ["period", by]
    return (
        lf.with_columns(pl.col("date").dt.truncate(FREQ[freq]).alias("period"))
        .group_by(keys)
        .agg(aggs)
        .sort(keys)
        .collect(engine="streaming")
    )


def add_sums(a: pl.DataFrame | None, b: pl.DataFrame, keys: tuple[str, ...] = ("period",)) -> pl.DataFrame:
    """The sums of two row sets (periods in either), sorted by the keys (period, and a stratum)."""
    keys = list(keys)
    if a is None or a.is_empty():
        return b.sort(keys)
    return pl.concat([a, b.select(a.columns)]).group_by(keys).agg(pl.all().sum()).sort(keys)


def from_sums(df: pl.DataFrame, labels: list[str]) -> pl.DataFrame:
    """Per-period means (index, soft shares) and mean squares from the additive statistics."""
    n = pl.col("n").cast(pl.Float64)
    mean = lambda c: pl.when(n > 0).then(pl.col(c) / n)  # noqa: E731
    cols = [mean("_index_sum").alias("index"), mean("_index_sq_sum").alias("_index_sq")]
    for lab in labels:
        cols += [mean(f"_soft_sum_{lab}").alias(f"soft_{lab}"), mean(f"_soft_sq_sum_{lab}").alias(f"_soft_sq_{lab}")]
    keep = ["period", "n", "n_unlabelled", "n_nonfinite"] + [f"count_{lab}" for lab in labels]
    return df.select(keep + cols)


def aggregate(lf: pl.LazyFrame, labels: list[str], freq: str, weights: dict[str, float], hard: bool) -> pl.DataFrame:
    """One row per period with counts, means and means of squares."""
    return from_sums(sums(lf, labels, freq, weights, hard), labels)


def fill_calendar(df: pl.DataFrame, freq: str) -> pl.DataFrame:
    """Every period between the first and the last, empty ones with n = 0."""
    if df.is_empty():
        return df
    full = pl.DataFrame({"period": pl.date_range(df["period"].min(), df["period"].max(), FREQ[freq], eager=True)})
    out = full.join(df, on="period", how="left")
    counts = [c for c in out.columns if c.startswith(("count_", "n"))]
    return out.with_columns(pl.col(counts).fill_null(0))


def wilson(mean: pl.Expr, var: pl.Expr, n: pl.Expr, hi: float = 1.0) -> tuple[pl.Expr, pl.Expr]:
    """95 % band of a mean of per-row values in [0, hi]: the Wilson score interval (E. B. Wilson 1927,
    JASA 22:209; the interval Brown, Cai & DasGupta 2001, Stat. Sci. 16:101, recommend for small n)
    centre (m + z²/2n) / (1 + z²/n), half-width z sqrt(v + z²/4n²) / (1 + z²/n), with m = mean/hi and
    v the variance of m: p(1-p)/n for a share of hard labels, which is Wilson's interval exactly;
    s²/n (s²: the rows' variance) for a mean of probabilities, which tends to the normal interval
    m +- z s/sqrt(n) as n grows. The z²/4n² term keeps the band open and around m at n = 1 (where
    s = 0). `n` may be an effective count (a weighted mean's: strata.stratify)."""
    m, v, k = mean / hi, var / hi**2, Z**2 / n
    centre, half = (m + k / 2) / (1 + k), Z * (v + k / (4 * n)).sqrt() / (1 + k)
    lo, up = (hi * (centre - half)).clip(0, hi), (hi * (centre + half)).clip(0, hi)
    return pl.min_horizontal(lo, mean), pl.max_horizontal(up, mean)  # holds the estimate, rounding too


def mean_band(mean: str, sq: str, hi: float) -> tuple[pl.Expr, pl.Expr]:
    """`wilson` for the mean of per-row values from their mean and mean square."""
    n = pl.col("n").cast(pl.Float64)
    return wilson(pl.col(mean), (pl.col(sq) - pl.col(mean) ** 2).clip(lower_bound=0) / n, n, hi)


def rule(
    value: pl.Expr, se: pl.Expr, freq: str, window: int | None, k: float, rolling: str, z: str, flag: str
) -> list[pl.Expr]:
    """The anomaly rule on any per-period series (the index, a model's residual), as three columns:
    `rolling` (its rolling mean), `z` and `flag` (|z| > k on a period that is not low_count). The
    test compares a period with the rolling mean of the window before it, in units of the sd over a
    longer baseline before it (a 3-point sd would flag noise) combined with the period's own
    sampling error `se` (a thin day is not an anomaly by chance). Needs a boolean `low_count` column."""
    w = window or WINDOW[freq]
    trusted = pl.when(~pl.col("low_count")).then(value)
    min_samples = max(2, math.ceil(w / 2))
    b = BASELINE[freq]
    prev_mean = trusted.shift(1).rolling_mean(w, min_samples=min_samples)
    prev_sd = trusted.shift(1).rolling_std(b, min_samples=max(3, b // 2))
    zz = (value - prev_mean) / (prev_sd**2 + se**2).sqrt()
    return [
        trusted.rolling_mean(w, min_samples=min_samples).alias(rolling),
        zz.alias(z),
        ((~pl.col("low_count")) & (zz.abs() > k)).fill_null(False).alias(flag),
    ]


def finish(
    df: pl.DataFrame, labels: list[str], freq: str, min_count: int, window: int | None, k: float
) -> pl.DataFrame:
    n = pl.col("n").cast(pl.Float64)
    cols = []
    for lab in labels:
        share = pl.when(n > 0).then(pl.col(f"count_{lab}") / n)
        lo, hi = wilson(share, share * (1 - share) / n, n)
        slo, shi = mean_band(f"soft_{lab}", f"_soft_sq_{lab}", 1.0)
        cols += [
            share.alias(f"share_{lab}"),
            pl.when(n > 0).then(lo).alias(f"share_{lab}_lo"),
            pl.when(n > 0).then(hi).alias(f"share_{lab}_hi"),
            slo.alias(f"soft_{lab}_lo"),
            shi.alias(f"soft_{lab}_hi"),
        ]
    ilo, ihi = mean_band("index", "_index_sq", 100.0)
    cols += [ilo.alias("index_lo"), ihi.alias("index_hi"), (pl.col("n") < min_count).alias("low_count")]
    df = df.with_columns(cols)
    se = (pl.col("index_hi") - pl.col("index_lo")) / (2 * Z)
    df = df.with_columns(rule(pl.col("index"), se, freq, window, k, "index_rolling", "anomaly_z", "anomaly"))
    order = [
        "period",
        "n",
        "n_unlabelled",
        "n_nonfinite",
        "low_count",
        "index",
        "index_lo",
        "index_hi",
        "index_rolling",
        "anomaly",
        "anomaly_z",
    ]
    for lab in labels:
        order += [
            f"count_{lab}",
            f"share_{lab}",
            f"share_{lab}_lo",
            f"share_{lab}_hi",
            f"soft_{lab}",
            f"soft_{lab}_lo",
            f"soft_{lab}_hi",
        ]
    return df.select(order)
