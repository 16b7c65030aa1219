"""Source-mix adjustment (post-stratification) and per-source indices.

A period's raw index is the mean over its rows, so when a period has more rows from an angry
channel (a news section) and fewer from a mild one (movie reviews) the index moves though no
channel's mood changed. Post-stratification fixes each stratum's (source's) share: with m_s the
mean over stratum s's rows in the period and w_s the fixed shares,

    strat = sum_s w_s m_s,  var = sum_s w_s^2 sd_s^2 / n_s,  n_eff = 1 / (sum_s w_s^2 / n_s)

for the index and every soft share; the 95 % band is compute.wilson's (the Wilson score interval) of
strat with that variance and Kish's effective count n_eff (one stratum: that stratum's own band).
Weights: `overall` (default; each stratum's share of all labelled rows of the input), `equal`, or
given (`news=0.4,youtube=0.3,reviews=0.3`, rescaled to sum to 1; every stratum of the input needs
one). A period missing a stratum is marked
(`strata_missing` lists them) and uses the present strata with their weights rescaled: its value is
not mix-free, so read it with that mark. Rows whose stratum is null form the stratum "(none)".
"""

from __future__ import annotations

import polars as pl

from ..core.errors import InputError
from .compute import fill_calendar, finish, from_sums, mean_band, wilson

NONE = "(none)"


def weights(spec: str, counts: dict[str, int]) -> dict[str, float]:
    """{stratum: weight summing to 1} from --strata-weights and the labelled rows per stratum."""
    strata = sorted(counts)
    if spec == "equal":
        return {s: 1 / len(strata) for s in strata}
    if spec == "overall":
        total = sum(counts.values())
        return {s: counts[s] / total for s in strata}
    given: dict[str, float] = {}
    for item in [t.strip() for t in spec.split(",") if t.strip()]:
        key, sep, value = item.partition("=")
        try:
            given[key.strip()] = float(value)
        except ValueError:
            raise InputError(f"--strata-weights: {item!r} is not name=number (or use equal / overall)") from None
        if not sep or given[key.strip()] < 0:
            raise InputError(f"--strata-weights: {item!r} is not name=number >= 0 (or use equal / overall)")
    missing = [s for s in strata if s not in given]
    if missing:
        raise InputError(
            f"--strata-weights gives no weight to {', '.join(missing)} (strata in the input: {', '.join(strata)})"
        )
    total = sum(given[s] for s in strata)
    if total <= 0:
        raise InputError("--strata-weights: the weights of the strata in the input sum to 0")
    return {s: given[s] / total for s in strata}


def per_stratum(by_sums: pl.DataFrame, col: str, labels: list[str]) -> pl.DataFrame:
    """Per (period, stratum) means and mean squares from the additive sums grouped by both."""
    by_sums = by_sums.with_columns(pl.col(col).fill_null(NONE))
    means = from_sums(by_sums.drop(col), labels)
    return means.with_columns(by_sums[col])


def stratify(df: pl.DataFrame, by_sums: pl.DataFrame, col: str, labels: list[str], w: dict[str, float]) -> pl.DataFrame:
    """df (the index table) with strat_<label>(_lo/_hi), index_strat(_lo/_hi), strata_missing."""
    m = per_stratum(by_sums.filter(pl.col("period").is_not_null()), col, labels).filter(pl.col("n") > 0)
    m = m.with_columns(pl.col(col).replace_strict(w, default=0.0, return_dtype=pl.Float64).alias("_w"))
    wsum = pl.col("_w").sum()
    aggs = [pl.col(col).sort().str.join(",").alias("_present")]
    for name, mean, sq, hi in [("index_strat", "index", "_index_sq", 100.0)] + [
        (f"strat_{lab}", f"soft_{lab}", f"_soft_sq_{lab}", 1.0) for lab in labels
    ]:
        var = (pl.col(sq) - pl.col(mean) ** 2).clip(lower_bound=0) / pl.col("n")
        est = (pl.col("_w") * pl.col(mean)).sum() / wsum
        lo, up = wilson(
            est, (pl.col("_w") ** 2 * var).sum() / wsum**2, wsum**2 / (pl.col("_w") ** 2 / pl.col("n")).sum(), hi
        )
        aggs += [est.alias(name), lo.alias(f"{name}_lo"), up.alias(f"{name}_hi")]
    st = m.group_by("period").agg(aggs)
    every = sorted(w)
    st = st.with_columns(
        pl.col("_present")
        .map_elements(lambda p: ",".join(s for s in every if s not in p.split(",")), return_dtype=pl.String)
        .alias("strata_missing")
    )
    out = df.join(st.drop("_present"), on="period", how="left")
    return out.with_columns(
        pl.when(pl.col("n") > 0)
        .then(pl.col("strata_missing").fill_null(",".join(every)))
        .otherwise(pl.lit(",".join(every)))
        .alias("strata_missing")
    )


def by_source(
    by_sums: pl.DataFrame,
    col: str,
    labels: list[str],
    freq: str,
    min_count: int,
    window: int | None,
    k: float,
    periods: pl.Series,
) -> pl.DataFrame:
    """The index table of each stratum on the index's calendar, stacked: (stratum, period, n, index,
    band, shares, low_count, anomaly ...), one stratum after another."""
    m = per_stratum(by_sums.filter(pl.col("period").is_not_null()), col, labels)
    frames = []
    for s in sorted(m[col].unique().to_list()):
        one = m.filter(pl.col(col) == s).drop(col)
        full = pl.DataFrame({"period": periods}).join(fill_calendar(one, freq), on="period", how="left")
        counts = [c for c in full.columns if c.startswith(("count_", "n"))]
        full = full.with_columns(pl.col(counts).fill_null(0))
        frames.append(finish(full, labels, freq, min_count, window, k).with_columns(pl.lit(s).alias(col)))
    out = pl.concat(frames)
    return out.select([col] + [c for c in out.columns if c != col])


def overall(by_sums: pl.DataFrame, col: str, labels: list[str]) -> pl.DataFrame:
    """One row per stratum over every row of the input, dated or not: rows, index with its band,
    soft shares, and the rows without a date."""
    s = by_sums.with_columns(pl.col(col).fill_null(NONE))
    undated = s.filter(pl.col("period").is_null()).group_by(col).agg(pl.col("n").sum().alias("n_undated"))
    tot = s.drop("period").group_by(col).agg(pl.all().sum()).sort(col)
    m = from_sums(tot.drop(col).with_columns(pl.lit(None, pl.Date).alias("period")), labels).with_columns(tot[col])
    lo, up = mean_band("index", "_index_sq", 100.0)
    m = m.with_columns(lo.alias("index_lo"), up.alias("index_hi"))
    m = m.join(undated, on=col, how="left").with_columns(pl.col("n_undated").fill_null(0))
    return m.select([col, "n", "n_undated", "index", "index_lo", "index_hi"] + [f"soft_{lab}" for lab in labels])


def counts(by_sums: pl.DataFrame, col: str) -> dict[str, int]:
    """Labelled dated rows per stratum (what `overall` weights are made of)."""
    s = by_sums.filter(pl.col("period").is_not_null()).with_columns(pl.col(col).fill_null(NONE))
    return {k: int(v) for k, v in s.group_by(col).agg(pl.col("n").sum()).filter(pl.col("n") > 0).iter_rows()}
