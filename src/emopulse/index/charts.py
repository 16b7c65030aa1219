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


def _y(df: pl.DataFrame, col: str, missing: float = float("nan")):
    """A float series with gaps as NaN (matplotlib breaks the line there)."""
    return df[col].cast(pl.Float64).fill_null(missing).to_numpy()


def png(df: pl.DataFrame, labels: list[str], path: str, title: str, fmt: str | None = None) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x = df["period"].to_list()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=PNG_SIZE, sharex=True, height_ratios=[1, 1])
    shares = [_y(df, f"soft_{lab}", 0.0) for lab in labels]
    top.stackplot(x, shares, labels=labels, colors=[color(lab, labels) for lab in labels], alpha=0.85)
    top.set_ylabel("emotion share (mean probability)")
    top.set_ylim(0, 1)
    top.legend(loc="upper left", ncol=len(labels), fontsize=8)
    top.set_title(title)
    bottom.fill_between(x, _y(df, "index_lo"), _y(df, "index_hi"), color="#2ca02c", alpha=0.2,
                        label="95 % band")
    bottom.plot(x, _y(df, "index"), color="#2ca02c", lw=0.8, label="index")
    bottom.plot(x, _y(df, "index_rolling"), color="k", lw=1.2, label="rolling mean")
    low = df.filter(pl.col("low_count"))
    if low.height:
        bottom.scatter(low["period"].to_list(), _y(low, "index"), s=6, color="#bbbbbb", label="low count")
    anomalies = df.filter(pl.col("anomaly"))
    if anomalies.height:
        bottom.scatter(anomalies["period"].to_list(), _y(anomalies, "index"), s=30, color="red",
                       marker="x", label="anomaly", zorder=3)
    bottom.set_ylabel("mental-health index (0-100)")
    bottom.set_ylim(0, 100)
    bottom.legend(loc="lower left", ncol=5, fontsize=8)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=PNG_DPI, format=fmt)
    plt.close(fig)


def html(df: pl.DataFrame, labels: list[str], out_dir: str, title: str, extra: str = "", head: str = "") -> str:
    """index.html in out_dir, with plotly.min.js written once beside it (include_plotlyjs=
    "directory": 4.8 MB once per directory instead of inside every page; opens offline). `extra`
    is HTML put under the chart (the watch dashboard's alerts). Returns the page's path."""
    import os

    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from ..core import storage
    x = df["period"].to_list()
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=("emotion shares", "mental-health index"))
    for lab in labels:
        fig.add_trace(go.Scatter(x=x, y=df[f"soft_{lab}"].to_list(), name=lab, stackgroup="shares",
                                 line={"color": color(lab, labels)}), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=_y(df, "index_hi"), line={"width": 0}, showlegend=False,
                             hoverinfo="skip"), row=2, col=1)
    fig.add_trace(go.Scatter(x=x, y=_y(df, "index_lo"), fill="tonexty", line={"width": 0},
                             name="95 % band", fillcolor="rgba(44,160,44,0.2)"), row=2, col=1)
    fig.add_trace(go.Scatter(x=x, y=_y(df, "index"), name="index", line={"color": "#2ca02c"}), row=2, col=1)
    fig.add_trace(go.Scatter(x=x, y=_y(df, "index_rolling"), name="rolling mean",
                             line={"color": "black"}), row=2, col=1)
    low = df.filter(pl.col("low_count"))
    fig.add_trace(go.Scatter(x=low["period"].to_list(), y=_y(low, "index"), mode="markers", name="low count",
                             marker={"color": "#bbbbbb", "size": 5}), row=2, col=1)
    a = df.filter(pl.col("anomaly"))
    fig.add_trace(go.Scatter(x=a["period"].to_list(), y=a["index"].to_list(), mode="markers", name="anomaly",
                             marker={"color": "red", "symbol": "x", "size": 9}), row=2, col=1)
    fig.update_yaxes(title_text="emotion share (mean probability)", range=[0, 1], row=1, col=1)
    fig.update_yaxes(title_text="mental-health index (0-100)", range=[0, 100], row=2, col=1)
    fig.update_xaxes(title_text="period", row=2, col=1)
    fig.update_layout(title=title, height=750, hovermode="x unified")
    path = os.path.join(out_dir, "index.html")
    page = fig.to_html(include_plotlyjs="directory", full_html=True)
    if extra:
        page = page.replace("</body>", extra + "</body>", 1)
    if head:
        page = page.replace("<head>", "<head>" + head, 1)
    storage.write_bytes(path, page.encode())   # a dashboard that reloads itself never sees half a page
    js = os.path.join(out_dir, "plotly.min.js")
    if not os.path.exists(js):
        from plotly.offline import get_plotlyjs
        storage.write_bytes(js, get_plotlyjs().encode())
    return path
