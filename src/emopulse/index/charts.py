"""index.png (matplotlib) and, on request, index.html (plotly; its plotly.min.js beside it: opens offline)."""

from __future__ import annotations

import polars as pl

COLORS = {"anger": "#d62728", "sadness": "#1f77b4", "happiness": "#ffbf00", "neutral": "#9e9e9e"}
PALETTE = ["#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#2ca02c", "#ff7f0e"]


def color(label: str, labels: list[str]) -> str:
    """The project's colour for the four default labels; a fixed palette for any other label set."""
    others = [lab for lab in labels if lab not in COLORS]
    return COLORS.get(label) or PALETTE[others.index(label) % len(PALETTE)]


PNG_SIZE = (12, 7)  # inches
PNG_DPI = 100


def _y(df: pl.DataFrame, col: str, missing: float = float("nan"), empty: bool = False):
    """A float series with gaps as NaN (matplotlib breaks the line there); with `empty`, also NaN
    in periods without rows (a rolling mean is defined there, but drawing it bridges the gap)."""
    s = df[col].cast(pl.Float64)
    if empty:
        s = pl.select(pl.when(df["n"] > 0).then(s)).to_series()
    return s.fill_null(missing).to_numpy()


def _alone(y) -> list[int]:
    """Positions of values with no value next to them: a line or an area cannot show them."""
    ok = [v == v for v in y]  # not NaN
    return [i for i, v in enumerate(ok) if v and not (i > 0 and ok[i - 1]) and not (i + 1 < len(ok) and ok[i + 1])]


def _step_days(x) -> float:
    """The calendar's step in days (1, 7, ~30), for the width of a bar standing for one period."""
    import numpy as np

    return float(np.diff(np.array(x, dtype="datetime64[D]")).astype(int).min()) if len(x) > 1 else 1.0


def _dates(ax) -> None:
    """Concise date ticks: one label per tick at a spacing that fits, never overlapping."""
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator(minticks=3, maxticks=10)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def _holidays(ax, holidays: dict | None, first, last, label: bool) -> None:
    from datetime import date

    if not holidays:
        return
    days = [date.fromisoformat(d) for d in holidays]
    days = [d for d in days if first <= d <= last]
    for i, d in enumerate(days):
        ax.axvline(
            d, color="#e377c2", lw=0.8, alpha=0.6, zorder=0, label="public holiday" if label and i == 0 else None
        )


def anomaly_marks(df: pl.DataFrame) -> list[tuple[pl.DataFrame, str, str]]:
    """(rows, legend name, colour) of the anomaly markers both charts draw: raw-rule anomalies the
    calendar model explains (grey), then anomalies (red); only the groups that have rows."""
    groups = []
    if "anomaly_raw" in df.columns:
        groups.append((df.filter(pl.col("anomaly_raw") & ~pl.col("anomaly")), "raw-rule anomaly, explained", "#888888"))
    groups.append((df.filter(pl.col("anomaly")), "anomaly", "red"))
    return [g for g in groups if g[0].height]


def png(
    df: pl.DataFrame, labels: list[str], path: str, title: str, fmt: str | None = None, holidays: dict | None = None
) -> None:
    """Two panels: the stacked soft shares (periods without data left blank, not drawn as zero
    shares) and the index with its band, the rolling mean, the adjusted series when computed
    (calendar: index_adj; source mix: index_strat; composite), public holidays as vertical lines,
    low-count periods as hollow circles and anomalies as red crosses (on the adjusted residual when
    a model ran; the raw rule's own verdicts that the model explains as grey crosses)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = df["period"].to_list()
    effect = "calendar_effect" in df.columns and df["calendar_effect"].is_not_null().any()
    if effect:  # a third panel: what the calendar adjustment removed (raw - adjusted), holidays marked
        fig, (top, bottom, third) = plt.subplots(
            3, 1, figsize=(PNG_SIZE[0], PNG_SIZE[1] * 1.35), sharex=True, height_ratios=[1, 1, 0.55]
        )
    else:
        fig, (top, bottom) = plt.subplots(2, 1, figsize=PNG_SIZE, sharex=True, height_ratios=[1, 1])
    # NaN where a period has no rows: fill_between leaves the gap empty instead of a fall to 0
    shares = [_y(df, f"soft_{lab}") for lab in labels]
    top.stackplot(x, shares, labels=labels, colors=[color(lab, labels) for lab in labels], alpha=0.85)
    alone = _alone(shares[0]) if shares else []
    if alone:  # a period with data between two without: a stacked bar one period wide
        width, base = 0.8 * _step_days(x), 0.0
        for lab, s in zip(labels, shares):
            top.bar([x[i] for i in alone], s[alone], width, bottom=base, color=color(lab, labels), alpha=0.85)
            base = base + s[alone]
    top.set_ylabel("emotion share (mean probability)")
    top.set_ylim(0, 1)
    top.legend(loc="upper left", ncol=len(labels), fontsize=8)
    top.set_title(title)
    bottom.fill_between(x, _y(df, "index_lo"), _y(df, "index_hi"), color="#2ca02c", alpha=0.2, label="95 % band")
    bottom.plot(x, _y(df, "index"), color="#2ca02c", lw=0.8, label="index")
    iy = _y(df, "index")
    alone = _alone(iy)
    if alone:
        lo, hi = _y(df, "index_lo")[alone], _y(df, "index_hi")[alone]
        bottom.errorbar(
            [x[i] for i in alone],
            iy[alone],
            yerr=[iy[alone] - lo, hi - iy[alone]],
            fmt="o",
            ms=3,
            color="#2ca02c",
            capsize=3,
        )
    bottom.plot(x, _y(df, "index_rolling", empty=True), color="k", lw=1.2, label="rolling mean")
    for col, colour, name in EXTRA_LINES:
        if col in df.columns and df[col].is_not_null().any():
            if f"{col}_lo" in df.columns and col != "index_adj":
                bottom.fill_between(x, _y(df, f"{col}_lo"), _y(df, f"{col}_hi"), color=colour, alpha=0.15)
            bottom.plot(x, _y(df, col), color=colour, lw=1.1, label=name)
    if x:
        _holidays(bottom, holidays, x[0], x[-1], label=True)
        _holidays(top, holidays, x[0], x[-1], label=False)
    low = df.filter(pl.col("low_count") & pl.col("index").is_not_null())
    if low.height:
        bottom.scatter(
            low["period"].to_list(),
            _y(low, "index"),
            s=36,
            facecolors="none",
            edgecolors="#555555",
            linewidths=1.0,
            label="low count",
            zorder=3,
        )
    for z, (rows, name, mark) in enumerate(anomaly_marks(df), start=3):
        bottom.scatter(rows["period"].to_list(), _y(rows, "index"), s=30, color=mark, marker="x", label=name, zorder=z)
    bottom.set_ylabel("mental-health index (0-100)")
    bottom.set_ylim(0, 100)
    bottom.legend(loc="lower left", ncol=4, fontsize=8)
    axes = [top, bottom]
    if effect:
        third.axhline(0, color="#555555", lw=0.8)
        third.plot(
            x,
            _y(df, "calendar_effect", empty=True),
            color="#1f77b4",
            lw=1.0,
            label="calendar effect = index - index_adj",
        )
        if x:
            _holidays(third, holidays, x[0], x[-1], label=False)
        third.set_ylabel("index points")
        third.legend(loc="best", fontsize=8)
        axes.append(third)
    for ax in axes:
        ax.grid(alpha=0.3)
    _dates(axes[-1])
    fig.tight_layout()
    fig.savefig(path, dpi=PNG_DPI, format=fmt)
    plt.close(fig)


EXTRA_LINES = [
    ("index_strat", "#9467bd", "source-mix adjusted (index_strat)"),
    ("index_adj", "#1f77b4", "calendar-adjusted (index_adj)"),
    ("composite", "#ff7f0e", "composite score"),
]


from .chart_html import html  # noqa: E402,F401  (index.html lives there; watch and tests call charts.html)
