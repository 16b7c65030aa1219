"""Builders of serve-batch-like predictions with planted effects (for the index model tests)."""

import datetime as dt

import numpy as np
import polars as pl

LABELS = ["anger", "sadness", "happiness", "neutral"]


def rows_for(means: dict, rng, spread: float = 0.15, sources: dict | None = None) -> pl.DataFrame:
    """means: {date: (index_points, n_rows)} -> rows whose soft index (happiness 1, neutral .5,
    others 0) has that mean: p_happiness ~ the mean's share +- spread, the rest on anger. With
    `sources` ({date: [(source, index_points, n), ...]}) each source gets its own level."""
    parts = []
    items = sources or {d: [(None, m, n)] for d, (m, n) in means.items()}
    for day, groups in items.items():
        for src, level, n in groups:
            h = np.clip(level / 100 + rng.uniform(-spread, spread, n), 0, 1)
            cols = {
                "date": [day] * n,
                "p_anger": 1 - h,
                "p_sadness": np.zeros(n),
                "p_happiness": h,
                "p_neutral": np.zeros(n),
            }
            if src is not None:
                cols["source"] = [src] * n
            parts.append(pl.DataFrame(cols))
    df = pl.concat(parts)
    label = pl.when(pl.col("p_happiness") >= 0.5).then(pl.lit("happiness")).otherwise(pl.lit("anger"))
    return df.with_columns(label.alias("label"), pl.int_range(pl.len()).cast(pl.String).alias("id"))


def days(start: dt.date, n: int) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]
