"""by_<column>.png: per-stratum indices side by side (index --by, watch --by)."""

from __future__ import annotations

import polars as pl

from .charts import PALETTE, PNG_DPI, PNG_SIZE, _alone, _dates, _y


def by_png(long: pl.DataFrame, col: str, path: str, title: str, overall: pl.DataFrame | None = None) -> None:
    """Left: one line per stratum (its index with its 95 % band) on the common calendar, periods
    without rows of a stratum left as gaps (isolated periods as points with error bars). Right:
    each stratum's index over all its rows, dated or not, with its band (strata.overall)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, right) = plt.subplots(1, 2, figsize=(PNG_SIZE[0], PNG_SIZE[1] * 0.65), width_ratios=[3, 1], sharey=True)
    names = list(dict.fromkeys((overall[col] if overall is not None else long[col]).to_list()))
    colours = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(names)}
    for s in dict.fromkeys(long[col].to_list()):
        one = long.filter(pl.col(col) == s)
        x, y, lo, hi = one["period"].to_list(), _y(one, "index"), _y(one, "index_lo"), _y(one, "index_hi")
        c = colours.get(s, "#333333")
        ax.fill_between(x, lo, hi, color=c, alpha=0.15)
        ax.plot(x, y, color=c, lw=1.0, label=f"{s} ({int(one['n'].sum()):,} dated rows)")
        alone = _alone(y)
        if alone:
            ax.errorbar(
                [x[i] for i in alone],
                y[alone],
                yerr=[y[alone] - lo[alone], hi[alone] - y[alone]],
                fmt="o",
                color=c,
                ms=4,
                capsize=3,
            )
    ax.set_ylabel("mental-health index (0-100)")
    ax.set_ylim(0, 100)
    ax.set_title(f"{title} — per {col}", fontsize=10)
    if long.height:
        ax.legend(loc="lower left", fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    _dates(ax)
    if overall is not None and overall.height:
        pos = list(range(overall.height))
        idx, lo, hi = _y(overall, "index"), _y(overall, "index_lo"), _y(overall, "index_hi")
        for i, s in enumerate(overall[col].to_list()):
            right.errorbar(
                [i], [idx[i]], yerr=[[idx[i] - lo[i]], [hi[i] - idx[i]]], fmt="o", color=colours[s], capsize=4
            )
        right.set_xticks(
            pos, [f"{s}\n{n:,}" for s, n in zip(overall[col], overall["n"])], rotation=60, fontsize=7, ha="right"
        )
        right.set_xlim(-0.6, len(pos) - 0.4)
        right.set_title("all rows (dated or not)", fontsize=10)
        right.grid(alpha=0.3)
    else:
        right.set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=PNG_DPI)
    plt.close(fig)
