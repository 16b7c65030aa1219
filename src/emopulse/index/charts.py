"""index.png (matplotlib) and, on request, index.html (plotly; its plotly.min.js beside it: opens offline)."""
from __future__ import annotations

import polars as pl

COLORS = {"anger": "#d62728", "sadness": "#1f77b4", "happiness": "#ffbf00", "neutral": "#9e9e9e"}
PALETTE = ["#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#2ca02c", "#ff7f0e"]


def color(label: str, labels: list[str]) -> str:
    """The project's colour for the four default labels; a fixed palette for any other label set."""
    others = [lab for lab in labels if lab not in COLORS]
    return COLORS.get(label) or PALETTE[others.index(label) % len(PALETTE)]


PNG_SIZE = (12, 7)   # inches
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
    ok = [v == v for v in y]   # not NaN
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
        ax.axvline(d, color="#e377c2", lw=0.8, alpha=0.6, zorder=0,
                   label="public holiday" if label and i == 0 else None)


def png(df: pl.DataFrame, labels: list[str], path: str, title: str, fmt: str | None = None,
        holidays: dict | None = None) -> None:
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
    if effect:   # a third panel: what the calendar adjustment removed (raw - adjusted), holidays marked
        fig, (top, bottom, third) = plt.subplots(3, 1, figsize=(PNG_SIZE[0], PNG_SIZE[1] * 1.35), sharex=True,
                                                 height_ratios=[1, 1, 0.55])
    else:
        fig, (top, bottom) = plt.subplots(2, 1, figsize=PNG_SIZE, sharex=True, height_ratios=[1, 1])
    # NaN where a period has no rows: fill_between leaves the gap empty instead of a fall to 0
    shares = [_y(df, f"soft_{lab}") for lab in labels]
    top.stackplot(x, shares, labels=labels, colors=[color(lab, labels) for lab in labels], alpha=0.85)
    alone = _alone(shares[0]) if shares else []
    if alone:   # a period with data between two without: a stacked bar one period wide
        width, base = 0.8 * _step_days(x), 0.0
        for lab, s in zip(labels, shares):
            top.bar([x[i] for i in alone], s[alone], width, bottom=base, color=color(lab, labels), alpha=0.85)
            base = base + s[alone]
    top.set_ylabel("emotion share (mean probability)")
    top.set_ylim(0, 1)
    top.legend(loc="upper left", ncol=len(labels), fontsize=8)
    top.set_title(title)
    bottom.fill_between(x, _y(df, "index_lo"), _y(df, "index_hi"), color="#2ca02c", alpha=0.2,
                        label="95 % band")
    bottom.plot(x, _y(df, "index"), color="#2ca02c", lw=0.8, label="index")
    iy = _y(df, "index")
    alone = _alone(iy)
    if alone:
        lo, hi = _y(df, "index_lo")[alone], _y(df, "index_hi")[alone]
        bottom.errorbar([x[i] for i in alone], iy[alone], yerr=[iy[alone] - lo, hi - iy[alone]], fmt="o", ms=3,
                        color="#2ca02c", capsize=3)
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
        bottom.scatter(low["period"].to_list(), _y(low, "index"), s=36, facecolors="none", edgecolors="#555555",
                       linewidths=1.0, label="low count", zorder=3)
    if "anomaly_raw" in df.columns:
        explained = df.filter(pl.col("anomaly_raw") & ~pl.col("anomaly"))
        if explained.height:
            bottom.scatter(explained["period"].to_list(), _y(explained, "index"), s=30, color="#888888",
                           marker="x", label="raw-rule anomaly, explained", zorder=3)
    anomalies = df.filter(pl.col("anomaly"))
    if anomalies.height:
        bottom.scatter(anomalies["period"].to_list(), _y(anomalies, "index"), s=30, color="red",
                       marker="x", label="anomaly", zorder=4)
    bottom.set_ylabel("mental-health index (0-100)")
    bottom.set_ylim(0, 100)
    bottom.legend(loc="lower left", ncol=4, fontsize=8)
    axes = [top, bottom]
    if effect:
        third.axhline(0, color="#555555", lw=0.8)
        third.plot(x, _y(df, "calendar_effect", empty=True), color="#1f77b4", lw=1.0, label="calendar effect = index - index_adj")
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


EXTRA_LINES = [("index_strat", "#9467bd", "source-mix adjusted (index_strat)"),
               ("index_adj", "#1f77b4", "calendar-adjusted (index_adj)"),
               ("composite", "#ff7f0e", "composite score")]


def by_png(long: pl.DataFrame, col: str, path: str, title: str, overall: pl.DataFrame | None = None) -> None:
    """Left: one line per stratum (its index with its 95 % band) on the common calendar, periods
    without rows of a stratum left as gaps (isolated periods as points with error bars). Right:
    each stratum's index over all its rows, dated or not, with its band (strata.overall)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax, right) = plt.subplots(1, 2, figsize=(PNG_SIZE[0], PNG_SIZE[1] * 0.65), width_ratios=[3, 1],
                                    sharey=True)
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
            ax.errorbar([x[i] for i in alone], y[alone], yerr=[y[alone] - lo[alone], hi[alone] - y[alone]], fmt="o",
                        color=c, ms=4, capsize=3)
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
            right.errorbar([i], [idx[i]], yerr=[[idx[i] - lo[i]], [hi[i] - idx[i]]], fmt="o", color=colours[s],
                           capsize=4)
        right.set_xticks(pos, [f"{s}\n{n:,}" for s, n in zip(overall[col], overall["n"])], rotation=60, fontsize=7,
                         ha="right")
        right.set_xlim(-0.6, len(pos) - 0.4)
        right.set_title("all rows (dated or not)", fontsize=10)
        right.grid(alpha=0.3)
    else:
        right.set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=PNG_DPI)
    plt.close(fig)


def _runs(has: list[bool]) -> list[tuple[int, int]]:
    """[start, stop) index ranges of consecutive True values."""
    runs, start = [], None
    for i, h in enumerate(has + [False]):
        if h and start is None:
            start = i
        elif not h and start is not None:
            runs.append((start, i))
            start = None
    return runs


def html(df: pl.DataFrame, labels: list[str], out_dir: str, title: str, extra: str = "", head: str = "",
         holidays: dict | None = None) -> str:
    """index.html in out_dir, with plotly.min.js written once beside it (include_plotlyjs=
    "directory": 4.8 MB once per directory instead of inside every page; opens offline). `extra`
    is HTML put under the chart (the watch dashboard's alerts). Returns the page's path. The shares
    are stacked per run of periods with data, so a period without rows is a gap, not a fall to 0;
    the legend lists only what is drawn."""
    import html as html_text
    import os

    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from ..core import storage
    x = df["period"].to_list()
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=("emotion shares", "mental-health index"))
    runs = _runs([v is not None for v in df[f"soft_{labels[0]}"].to_list()]) if labels else []
    for r, (a, b) in enumerate(runs):
        for lab in labels:
            if b - a == 1:   # one period between gaps: an area of one point is invisible, a bar is not
                fig.add_trace(go.Bar(x=x[a:b], y=df[f"soft_{lab}"][a:b].to_list(), name=lab, legendgroup=lab,
                                     showlegend=r == 0, marker={"color": color(lab, labels)},
                                     width=0.8 * _step_days(x) * 86_400_000), row=1, col=1)
                continue
            fig.add_trace(go.Scatter(x=x[a:b], y=df[f"soft_{lab}"][a:b].to_list(), name=lab, legendgroup=lab,
                                     showlegend=r == 0, stackgroup=f"shares{r}", mode="lines",
                                     line={"color": color(lab, labels), "width": 0.5}), row=1, col=1)
    # a filled band is drawn per run of periods with data too: "tonexty" across a gap joins its ends
    for r, (a, b) in enumerate(_runs([v is not None for v in df["index_lo"].to_list()])):
        fig.add_trace(go.Scatter(x=x[a:b], y=_y(df, "index_hi")[a:b], mode="lines", line={"width": 0}, showlegend=False,
                                 hoverinfo="skip", legendgroup="band"), row=2, col=1)
        fig.add_trace(go.Scatter(x=x[a:b], y=_y(df, "index_lo")[a:b], mode="lines", fill="tonexty", line={"width": 0},
                                 name="95 % band", legendgroup="band", showlegend=r == 0,
                                 fillcolor="rgba(44,160,44,0.2)"), row=2, col=1)
    # lines only: with fewer than 20 points plotly would add markers in its own colours
    fig.add_trace(go.Scatter(x=x, y=_y(df, "index"), name="index", mode="lines", line={"color": "#2ca02c"},
                             legendgroup="index"), row=2, col=1)
    iy = _y(df, "index")
    alone = _alone(iy)
    if alone:   # no neighbour to draw a line to: a point with its band as an error bar
        lo, hi = _y(df, "index_lo")[alone], _y(df, "index_hi")[alone]
        fig.add_trace(go.Scatter(x=[x[i] for i in alone], y=iy[alone], mode="markers", legendgroup="index",
                                 showlegend=False, marker={"color": "#2ca02c", "size": 6},
                                 error_y={"type": "data", "symmetric": False, "array": hi - iy[alone],
                                          "arrayminus": iy[alone] - lo}), row=2, col=1)
    fig.add_trace(go.Scatter(x=x, y=_y(df, "index_rolling", empty=True), name="rolling mean", mode="lines",
                             line={"color": "black"}), row=2, col=1)
    for col, colour, name in EXTRA_LINES:
        if col in df.columns and df[col].is_not_null().any():
            fig.add_trace(go.Scatter(x=x, y=_y(df, col), name=name, mode="lines", line={"color": colour}), row=2, col=1)
    if holidays and x:
        days = [(d, n) for d, n in holidays.items() if str(x[0]) <= d <= str(x[-1])]
        if days:
            fig.add_trace(go.Scatter(x=[d for d, _ in days], y=[97] * len(days), mode="markers", name="public holiday",
                                     text=[n for _, n in days], hovertemplate="%{x}: %{text}<extra></extra>",
                                     marker={"color": "#e377c2", "symbol": "triangle-down", "size": 8}), row=2, col=1)
    low = df.filter(pl.col("low_count") & pl.col("index").is_not_null())
    if low.height:
        fig.add_trace(go.Scatter(x=low["period"].to_list(), y=_y(low, "index"), mode="markers", name="low count",
                                 marker={"color": "rgba(0,0,0,0)", "size": 9,
                                         "line": {"color": "#555555", "width": 1.5}}),
                      row=2, col=1)
    if "anomaly_raw" in df.columns:
        e = df.filter(pl.col("anomaly_raw") & ~pl.col("anomaly"))
        if e.height:
            fig.add_trace(go.Scatter(x=e["period"].to_list(), y=e["index"].to_list(), mode="markers",
                                     name="raw-rule anomaly, explained",
                                     marker={"color": "#888888", "symbol": "x", "size": 9}), row=2, col=1)
    a = df.filter(pl.col("anomaly"))
    if a.height:
        fig.add_trace(go.Scatter(x=a["period"].to_list(), y=a["index"].to_list(), mode="markers", name="anomaly",
                                 marker={"color": "red", "symbol": "x", "size": 9}), row=2, col=1)
    fig.update_yaxes(title_text="emotion share (mean probability)", range=[0, 1], row=1, col=1)
    fig.update_yaxes(title_text="mental-health index (0-100)", range=[0, 100], row=2, col=1)
    fig.update_xaxes(title_text="period", row=2, col=1)
    fig.update_layout(title=title, height=750, hovermode="x unified", barmode="stack")
    path = os.path.join(out_dir, "index.html")
    page = fig.to_html(include_plotlyjs="directory", full_html=True)
    if extra:
        page = page.replace("</body>", extra + "</body>", 1)
    head = f"<title>{html_text.escape(title)}</title>" + head
    page = page.replace("<head>", "<head>" + head, 1)
    storage.write_bytes(path, page.encode())   # a dashboard that reloads itself never sees half a page
    js = os.path.join(out_dir, "plotly.min.js")
    if not os.path.exists(js):
        from plotly.offline import get_plotlyjs
        storage.write_bytes(js, get_plotlyjs().encode())
    return path
