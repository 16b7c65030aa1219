"""index.html (plotly; its plotly.min.js beside it: opens offline) and the watch dashboard."""

from __future__ import annotations

import polars as pl

from .charts import EXTRA_LINES, _alone, _step_days, _y, anomaly_marks, color


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


def html(
    df: pl.DataFrame,
    labels: list[str],
    out_dir: str,
    title: str,
    extra: str = "",
    head: str = "",
    holidays: dict | None = None,
) -> str:
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
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        subplot_titles=("emotion shares", "mental-health index"),
    )
    runs = _runs([v is not None for v in df[f"soft_{labels[0]}"].to_list()]) if labels else []
    for r, (a, b) in enumerate(runs):
        for lab in labels:
            if b - a == 1:  # one period between gaps: an area of one point is invisible, a bar is not
                fig.add_trace(
                    go.Bar(
                        x=x[a:b],
                        y=df[f"soft_{lab}"][a:b].to_list(),
                        name=lab,
                        legendgroup=lab,
                        showlegend=r == 0,
                        marker={"color": color(lab, labels)},
                        width=0.8 * _step_days(x) * 86_400_000,
                    ),
                    row=1,
                    col=1,
                )
                continue
            fig.add_trace(
                go.Scatter(
                    x=x[a:b],
                    y=df[f"soft_{lab}"][a:b].to_list(),
                    name=lab,
                    legendgroup=lab,
                    showlegend=r == 0,
                    stackgroup=f"shares{r}",
                    mode="lines",
                    line={"color": color(lab, labels), "width": 0.5},
                ),
                row=1,
                col=1,
            )
    # a filled band is drawn per run of periods with data too: "tonexty" across a gap joins its ends
    for r, (a, b) in enumerate(_runs([v is not None for v in df["index_lo"].to_list()])):
        fig.add_trace(
            go.Scatter(
                x=x[a:b],
                y=_y(df, "index_hi")[a:b],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
                legendgroup="band",
            ),
            row=2,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=x[a:b],
                y=_y(df, "index_lo")[a:b],
                mode="lines",
                fill="tonexty",
                line={"width": 0},
                name="95 % band",
                legendgroup="band",
                showlegend=r == 0,
                fillcolor="rgba(44,160,44,0.2)",
            ),
            row=2,
            col=1,
        )
    # lines only: with fewer than 20 points plotly would add markers in its own colours
    fig.add_trace(
        go.Scatter(x=x, y=_y(df, "index"), name="index", mode="lines", line={"color": "#2ca02c"}, legendgroup="index"),
        row=2,
        col=1,
    )
    iy = _y(df, "index")
    alone = _alone(iy)
    if alone:  # no neighbour to draw a line to: a point with its band as an error bar
        lo, hi = _y(df, "index_lo")[alone], _y(df, "index_hi")[alone]
        fig.add_trace(
            go.Scatter(
                x=[x[i] for i in alone],
                y=iy[alone],
                mode="markers",
                legendgroup="index",
                showlegend=False,
                marker={"color": "#2ca02c", "size": 6},
                error_y={"type": "data", "symmetric": False, "array": hi - iy[alone], "arrayminus": iy[alone] - lo},
            ),
            row=2,
            col=1,
        )
    fig.add_trace(
        go.Scatter(
            x=x, y=_y(df, "index_rolling", empty=True), name="rolling mean", mode="lines", line={"color": "black"}
        ),
        row=2,
        col=1,
    )
    for col, colour, name in EXTRA_LINES:
        if col in df.columns and df[col].is_not_null().any():
            fig.add_trace(go.Scatter(x=x, y=_y(df, col), name=name, mode="lines", line={"color": colour}), row=2, col=1)
    if holidays and x:
        days = [(d, n) for d, n in holidays.items() if str(x[0]) <= d <= str(x[-1])]
        if days:
            fig.add_trace(
                go.Scatter(
                    x=[d for d, _ in days],
                    y=[97] * len(days),
                    mode="markers",
                    name="public holiday",
                    text=[n for _, n in days],
                    hovertemplate="%{x}: %{text}<extra></extra>",
                    marker={"color": "#e377c2", "symbol": "triangle-down", "size": 8},
                ),
                row=2,
                col=1,
            )
    low = df.filter(pl.col("low_count") & pl.col("index").is_not_null())
    if low.height:
        fig.add_trace(
            go.Scatter(
                x=low["period"].to_list(),
                y=_y(low, "index"),
                mode="markers",
                name="low count",
                marker={"color": "rgba(0,0,0,0)", "size": 9, "line": {"color": "#555555", "width": 1.5}},
            ),
            row=2,
            col=1,
        )
    for rows, name, mark in anomaly_marks(df):
        fig.add_trace(
            go.Scatter(
                x=rows["period"].to_list(),
                y=rows["index"].to_list(),
                mode="markers",
                name=name,
                marker={"color": mark, "symbol": "x", "size": 9},
            ),
            row=2,
            col=1,
        )
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
    storage.write_bytes(path, page.encode())  # a dashboard that reloads itself never sees half a page
    js = os.path.join(out_dir, "plotly.min.js")
    if not os.path.exists(js):
        from plotly.offline import get_plotlyjs

        storage.write_bytes(js, get_plotlyjs().encode())
    return path
