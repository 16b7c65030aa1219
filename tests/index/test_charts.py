"""index.png: date tick labels that never overlap, legends that list only what is drawn, a hollow
low-count marker, and the calendar terms behind the holiday lines."""

import datetime as dt

import matplotlib
import numpy as np
import polars as pl
import pytest

from emopulse.index import IndexArgs, run

from .planted import days, rows_for

matplotlib.use("Agg")


@pytest.fixture
def figures(monkeypatch):
    """The figures index.png was drawn from (plt.close is kept from freeing them)."""
    import matplotlib.pyplot as plt

    kept = []
    monkeypatch.setattr(plt, "close", lambda fig=None: kept.append(fig))
    return kept


def _labels_overlap(ax) -> bool:
    fig = ax.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(r) for t in ax.get_xticklabels() if t.get_text() and t.get_visible()]
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


@pytest.mark.parametrize("n_days,freq", [(30, "day"), (200, "day"), (1500, "day"), (1500, "week"), (3000, "month")])
def test_date_labels_never_collide(tmp_path, figures, n_days, freq):
    rng = np.random.default_rng(0)
    rows_for(dict.fromkeys(days(dt.date(2014, 12, 20), n_days), (55, 3)), rng).write_parquet(tmp_path / "p.parquet")
    run(IndexArgs(inputs=[str(tmp_path / "p.parquet")], output=str(tmp_path / "o"), freq=freq, min_count=1))
    bottom = figures[-1].axes[1]
    assert len([t for t in bottom.get_xticklabels() if t.get_text()]) >= 3
    assert not _labels_overlap(bottom)


def test_legend_lists_only_drawn_series_and_low_count_is_visible(tmp_path, figures):
    rng = np.random.default_rng(1)
    means = {d: (55, 3 if d.day == 5 else 40) for d in days(dt.date(2024, 1, 1), 60)}
    rows_for(means, rng).write_parquet(tmp_path / "p.parquet")
    run(IndexArgs(inputs=[str(tmp_path / "p.parquet")], output=str(tmp_path / "o")))
    bottom = figures[-1].axes[1]
    names = [t.get_text() for t in bottom.get_legend().get_texts()]
    assert names == ["95 % band", "index", "rolling mean", "low count"]  # no anomaly: none drawn
    low = [c for c in bottom.collections if c.get_label() == "low count"][0]
    face = low.get_facecolors()
    assert low.get_sizes()[0] >= 30 and (face.size == 0 or face[0][3] == 0)  # big and hollow: not a dot you miss


def test_holiday_terms_count_days_per_period():
    from emopulse.index.calendar import terms

    weeks = [dt.date(2024, 9, 9), dt.date(2024, 9, 16), dt.date(2024, 9, 23)]
    t = terms(weeks, "week")
    assert t["holiday_seollal_chuseok"].to_list() == [0, 3, 0]  # Chuseok 2024: 16-18 September
    d = terms([dt.date(2024, 9, 16), dt.date(2024, 9, 19), dt.date(2024, 10, 3)], "day")
    assert d["holiday_seollal_chuseok"].to_list() == [1, 0, 0] and d["holiday_other"].to_list() == [0, 0, 1]
    assert d["dow_Thu"].to_list() == [0, 1, 1] and "dow_Mon" not in d.columns
    m = terms([dt.date(2024, 2, 1)], "month")
    assert m["holiday_seollal_chuseok"][0] == 4  # 9-12 Feb 2024 (with the substitute)
    assert pl.Series(m["month_02"]).to_list() == [1.0]
