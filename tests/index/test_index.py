import datetime as dt
import json
import math
import subprocess
import sys

import numpy as np
import polars as pl
import pytest

from emopulse.core.errors import InputError
from emopulse.index import IndexArgs, run
from emopulse.index.charts import PNG_DPI, PNG_SIZE

LABELS = ["anger", "sadness", "happiness", "neutral"]


def predictions(days: dict, path, date_type="date"):
    """days: {date: [(label, probs), ...]} -> a serve-batch-like Parquet file."""
    rows = []
    for day, items in days.items():
        for label, probs in items:
            rows.append(
                {
                    "id": str(len(rows)),
                    "date": day,
                    "label": label,
                    **{f"p_{lab}": (p if label is not None else None) for lab, p in zip(LABELS, probs)},
                    "status": "ok" if label else "empty",
                }
            )
    df = pl.DataFrame(rows)
    if date_type == "string":
        df = df.with_columns(pl.col("date").cast(pl.String))
    elif date_type == "timestamp":
        df = df.with_columns(pl.col("date").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"))
    df.write_parquet(path)
    return str(path)


ONEHOT = {lab: [1.0 if j == i else 0.0 for j in range(4)] for i, lab in enumerate(LABELS)}


def test_known_shares_index_and_bands(tmp_path):
    day = dt.date(2024, 3, 1)
    items = (
        [("happiness", ONEHOT["happiness"])] * 50
        + [("anger", ONEHOT["anger"])] * 30
        + [("neutral", ONEHOT["neutral"])] * 20
        + [(None, [0, 0, 0, 0])] * 7
    )
    path = predictions({day: items}, tmp_path / "p.parquet")
    s = run(IndexArgs(inputs=[path], output=str(tmp_path / "idx"), min_count=10))
    df = pl.read_parquet(tmp_path / "idx" / "index.parquet")
    r = df.row(0, named=True)
    assert (r["n"], r["n_unlabelled"], r["count_happiness"], r["count_anger"]) == (100, 7, 50, 30)
    assert r["share_happiness"] == 0.5 and r["soft_neutral"] == pytest.approx(0.2)
    # index: 100 * (0.5*1 + 0.2*0.5) = 60; per-row scores 100 (50x), 0 (30x), 50 (20x)
    assert r["index"] == pytest.approx(60.0)
    # the Wilson score interval with the rows' variance: centre (m + z²/2n) / (1 + z²/n), half-width
    # z sqrt(s²/n + z²/4n²) / (1 + z²/n), on the 0-1 scale
    z, sd = 1.959964, math.sqrt((50 * 100**2 + 20 * 50**2) / 100 - 60**2) / 100
    centre, half = (0.6 + z**2 / 200) / (1 + z**2 / 100), z * math.sqrt(sd**2 / 100 + z**2 / 4e4) / (1 + z**2 / 100)
    assert r["index_lo"] == pytest.approx(100 * (centre - half), abs=1e-4)
    assert r["index_hi"] == pytest.approx(100 * (centre + half), abs=1e-4)
    assert abs(r["index_lo"] - (60 - 100 * z * sd / 10)) < 0.5 and abs(r["index_hi"] - (60 + 100 * z * sd / 10)) < 0.5
    # Wilson 95 % for 50/100: [0.4038, 0.5962]
    assert r["share_happiness_lo"] == pytest.approx(0.40383, abs=1e-4)
    assert r["share_happiness_hi"] == pytest.approx(0.59617, abs=1e-4)
    assert s["rows_unlabelled"] == 7 and s["rows_labelled"] == 100


def test_bands_are_open_at_one_comment_and_the_normal_band_at_many(tmp_path):
    """A day of one comment gets a band of positive width around its value (the normal interval
    mean +- z sd/sqrt(n) had zero width there: sd = 0); a day of 4,000 the normal band, nearly."""
    rng = np.random.default_rng(7)
    probs = rng.dirichlet([2, 1, 3, 2], size=4000)
    many = [(LABELS[int(p.argmax())], p.tolist()) for p in probs]
    days = {dt.date(2024, 3, 1): [("happiness", [0.1, 0.1, 0.7, 0.1])], dt.date(2024, 3, 2): many}
    for hard in (False, True):
        run(IndexArgs(inputs=[predictions(days, tmp_path / "p.parquet")], output=str(tmp_path / "i"), hard=hard))
        one, big = pl.read_parquet(tmp_path / "i" / "index.parquet").rows(named=True)
        assert one["n"] == 1 and big["n"] == 4000
        for col in ["index"] + [f"{kind}_{lab}" for kind in ("share", "soft") for lab in LABELS]:
            hi = 100 if col == "index" else 1
            assert 0 <= one[f"{col}_lo"] <= one[col] <= one[f"{col}_hi"] <= hi, col
            assert one[f"{col}_hi"] - one[f"{col}_lo"] > 0.1 * hi, col
        w = np.array([0, 0, 1, 0.5])  # anger, sadness, happiness, neutral
        scores = 100 * (w[probs.argmax(1)] if hard else probs @ w)
        half = 1.959964 * scores.std() / math.sqrt(len(scores))
        assert big["index"] == pytest.approx(scores.mean())
        assert big["index_lo"] == pytest.approx(scores.mean() - half, abs=0.05)  # index points
        assert big["index_hi"] == pytest.approx(scores.mean() + half, abs=0.05)
        assert big["index_hi"] - big["index_lo"] == pytest.approx(2 * half, rel=0.01)
        p = probs[:, 1]  # a soft share (its Wilson centre is pulled towards 1/2 by 4e-4)
        half = 1.959964 * p.std() / math.sqrt(len(p))
        assert big["soft_sadness_lo"] == pytest.approx(p.mean() - half, abs=5e-4)
        assert big["soft_sadness_hi"] == pytest.approx(p.mean() + half, abs=5e-4)
        assert big["soft_sadness_hi"] - big["soft_sadness_lo"] == pytest.approx(2 * half, rel=0.01)


def test_hard_index_and_custom_weights(tmp_path):
    items = [("happiness", [0.1, 0.1, 0.6, 0.2])] * 10 + [("sadness", [0.1, 0.7, 0.1, 0.1])] * 10
    path = predictions({dt.date(2024, 1, 1): items}, tmp_path / "p.parquet")
    run(IndexArgs(inputs=[path], output=str(tmp_path / "a"), hard=True, min_count=1))
    assert pl.read_parquet(tmp_path / "a" / "index.parquet")["index"][0] == pytest.approx(50.0)
    run(
        IndexArgs(
            inputs=[path],
            output=str(tmp_path / "b"),
            min_count=1,
            weights={"happiness": 2, "neutral": 1, "sadness": 0, "anger": 0},
        )
    )
    # soft: mean p = anger .1, sadness .4, happiness .35, neutral .15 -> 100 * (.35 + .5 * .15)
    assert pl.read_parquet(tmp_path / "b" / "index.parquet")["index"][0] == pytest.approx(42.5)
    with pytest.raises(InputError, match="joy"):
        run(IndexArgs(inputs=[path], output=str(tmp_path / "c"), weights={"joy": 1}))


def _random_days(start, n_days, per_day, rng, p_happy=0.5, spike=None):
    days = {}
    for d in range(n_days):
        p = spike[1] if spike and d == spike[0] else p_happy
        labels = rng.choice(["happiness", "anger"], size=per_day, p=[p, 1 - p])
        days[start + dt.timedelta(days=d)] = [(lab, ONEHOT[lab]) for lab in labels]
    return days


def test_rollups_agree_and_calendar_is_filled(tmp_path):
    rng = np.random.default_rng(0)
    days = _random_days(dt.date(2024, 1, 1), 90, 40, rng)
    del days[dt.date(2024, 2, 10)]  # a gap
    path = predictions(days, tmp_path / "p.parquet")
    frames = {}
    for freq in ("day", "week", "month"):
        run(IndexArgs(inputs=[path], output=str(tmp_path / freq), freq=freq))
        frames[freq] = pl.read_parquet(tmp_path / freq / "index.parquet")
    d, w, m = frames["day"], frames["week"], frames["month"]
    assert d.height == 90 and d.filter(pl.col("period") == dt.date(2024, 2, 10))["n"][0] == 0
    assert d["n"].sum() == w["n"].sum() == m["n"].sum() == 89 * 40
    jan = d.filter(pl.col("period").dt.month() == 1)
    assert m["count_anger"][0] == jan["count_anger"].sum()
    # the monthly index is the row-weighted mean of the daily ones
    assert m["index"][0] == pytest.approx((jan["index"] * jan["n"]).sum() / jan["n"].sum())
    assert d.filter(pl.col("period") == dt.date(2024, 2, 10))["low_count"][0]


def test_anomaly_fires_on_a_spike_not_on_noise(tmp_path):
    rng = np.random.default_rng(1)
    quiet = predictions(_random_days(dt.date(2024, 1, 1), 120, 200, rng), tmp_path / "q.parquet")
    spiky = predictions(_random_days(dt.date(2024, 1, 1), 120, 200, rng, spike=(80, 0.9)), tmp_path / "s.parquet")
    assert run(IndexArgs(inputs=[quiet], output=str(tmp_path / "q")))["anomalies"] == []
    assert run(IndexArgs(inputs=[spiky], output=str(tmp_path / "s")))["anomalies"] == ["2024-03-21"]


def test_low_count_periods_are_marked_and_kept_out_of_the_rolling_mean(tmp_path):
    rng = np.random.default_rng(2)
    days = _random_days(dt.date(2024, 1, 1), 20, 50, rng)
    days[dt.date(2024, 1, 10)] = [("happiness", ONEHOT["happiness"])] * 3
    path = predictions(days, tmp_path / "p.parquet")
    run(IndexArgs(inputs=[path], output=str(tmp_path / "i"), min_count=30))
    df = pl.read_parquet(tmp_path / "i" / "index.parquet")
    row = df.filter(pl.col("period") == dt.date(2024, 1, 10)).row(0, named=True)
    assert row["low_count"] and row["index"] == 100.0 and not row["anomaly"]
    assert df.filter(pl.col("period") == dt.date(2024, 1, 11))["index_rolling"][0] < 70


@pytest.mark.parametrize("date_type", ["string", "timestamp"])
def test_dates_as_strings_and_timestamps(tmp_path, date_type):
    items = [("happiness", ONEHOT["happiness"])] * 5
    path = predictions({dt.datetime(2024, 1, 1, 20, 0): items}, tmp_path / "p.parquet", date_type)
    run(IndexArgs(inputs=[path], output=str(tmp_path / "i"), min_count=1))
    period = pl.read_parquet(tmp_path / "i" / "index.parquet")["period"][0]
    # 20:00 UTC is already the next day in Seoul
    assert period == (dt.date(2024, 1, 2) if date_type == "timestamp" else dt.date(2024, 1, 1))


def test_bad_dates_fail_with_a_sample_or_are_dropped(tmp_path):
    df = pl.DataFrame(
        {
            "date": ["2024-01-01", "yesterday", "2024-01-02"],
            "label": ["anger"] * 3,
            **{f"p_{lab}": [0.25] * 3 for lab in LABELS},
        }
    )
    df.write_parquet(tmp_path / "p.parquet")
    with pytest.raises(InputError, match="row 1: 'yesterday'"):
        run(IndexArgs(inputs=[str(tmp_path / "p.parquet")], output=str(tmp_path / "i")))
    s = run(IndexArgs(inputs=[str(tmp_path / "p.parquet")], output=str(tmp_path / "i"), drop_bad_dates=True))
    assert s["rows_bad_dates_dropped"] == 1 and s["rows_labelled"] == 2
    with pytest.raises(InputError, match="date column 'day'"):
        run(IndexArgs(inputs=[str(tmp_path / "p.parquet")], output=str(tmp_path / "i"), date_col="day"))


def test_charts_are_written(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(3)
    path = predictions(_random_days(dt.date(2024, 1, 1), 30, 40, rng), tmp_path / "p.parquet")
    run(IndexArgs(inputs=[path], output=str(tmp_path / "i"), html=True))
    img = Image.open(tmp_path / "i" / "index.png")
    assert img.size == (PNG_SIZE[0] * PNG_DPI, PNG_SIZE[1] * PNG_DPI)
    assert len(np.unique(np.asarray(img.convert("RGB")).reshape(-1, 3), axis=0)) > 50  # a real chart, not blank
    html = (tmp_path / "i" / "index.html").read_text()
    assert "mental-health index" in html and "happiness" in html and "2024-01-30" in html
    assert "<script" in html and "https://cdn" not in html.split("<body>")[0]  # plotly embedded: offline


SCRIPT = """
import resource, sys
from emopulse.index import IndexArgs, run
run(IndexArgs(inputs=[sys.argv[1]], output=sys.argv[2]))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_two_million_rows_in_bounded_memory(tmp_path):
    rng = np.random.default_rng(4)

    def write(n, path):
        days = rng.integers(0, 3650, size=n)
        probs = rng.dirichlet([1, 1, 1, 1], size=n).astype(np.float32)
        pl.DataFrame(
            {
                "id": np.arange(n).astype(str),
                "date": pl.Series(days).cast(pl.Date),
                "label": np.array(LABELS)[probs.argmax(1)],
                **{f"p_{lab}": probs[:, i] for i, lab in enumerate(LABELS)},
            }
        ).write_parquet(path, row_group_size=100_000)

    (tmp_path / "big").mkdir()
    for k in range(4):
        write(500_000, tmp_path / "big" / f"part-{k}.parquet")
    write(100_000, tmp_path / "small.parquet")
    peaks = []
    for inp in (str(tmp_path / "small.parquet"), str(tmp_path / "big")):
        res = subprocess.run(
            [sys.executable, "-c", SCRIPT, inp, str(tmp_path / "out")], check=True, capture_output=True, text=True
        )
        peaks.append(int(res.stdout.split()[-1]))
    assert json.load(open(tmp_path / "out" / "_summary.json"))["rows"] == 2_000_000
    assert peaks[1] < 1.5 * peaks[0] + 150_000, peaks  # KiB: 20x the rows, not 20x the memory


def test_outlier_dates_are_refused_with_rows_named_or_dropped(tmp_path):
    days = {
        dt.date(2024, 3, 1): [("anger", ONEHOT["anger"])] * 40,
        dt.date(1, 1, 1): [("anger", ONEHOT["anger"])],
        dt.date(9999, 12, 31): [("happiness", ONEHOT["happiness"])],
    }
    path = predictions(days, tmp_path / "p.parquet")
    with pytest.raises(InputError, match="outside .*row 40"):
        run(IndexArgs(inputs=[path], output=str(tmp_path / "o")))
    s = run(IndexArgs(inputs=[path], output=str(tmp_path / "o"), drop_bad_dates=True))
    assert s["periods"] == 1 and s["rows_bad_dates_dropped"] == 2


def test_any_label_set_is_charted(tmp_path):
    labels = ["joy", "fear", "calm"]
    rows = [
        {
            "date": dt.date(2024, 1, 1) + dt.timedelta(days=i % 20),
            "label": labels[i % 3],
            **{f"p_{lab}": 1 / 3 for lab in labels},
        }
        for i in range(600)
    ]
    pl.DataFrame(rows).write_parquet(tmp_path / "p.parquet")
    s = run(
        IndexArgs(
            inputs=[str(tmp_path / "p.parquet")],
            output=str(tmp_path / "o"),
            weights={"joy": 1, "calm": 0.5, "fear": 0},
            html=True,
        )
    )
    assert s["periods"] == 20 and (tmp_path / "o" / "index.png").stat().st_size > 10_000
    assert (tmp_path / "o" / "index.html").exists()


def test_nonfinite_probabilities_are_excluded_and_counted(tmp_path):
    day = dt.date(2024, 3, 1)
    items = (
        [("happiness", ONEHOT["happiness"])] * 40
        + [("anger", [float("nan"), 0, 0, 0])] * 3
        + [("anger", [float("inf"), 0, 0, 0])]
    )
    s = run(IndexArgs(inputs=[predictions({day: items}, tmp_path / "p.parquet")], output=str(tmp_path / "o")))
    df = pl.read_parquet(tmp_path / "o" / "index.parquet")
    assert s["rows_nonfinite_probabilities"] == 4 and df["n"][0] == 40 and df["index"][0] == pytest.approx(100.0)


def test_adjusted_shares_undo_a_planted_confusion(tmp_path):
    """A classifier that mistakes sadness for anger and damps every share: index --adjust recovers
    each period's true shares from its validation confusion; the plain soft shares do not."""
    from emopulse.train.ensemble import validation_confusion

    rng = np.random.default_rng(0)

    def classify(gold):
        logits = 1.6 * np.eye(4)[gold] + rng.normal(0, 1.0, (len(gold), 4))
        logits[gold == 1, 0] += 1.2  # sadness looks like anger
        p = np.exp(logits)
        return p / p.sum(1, keepdims=True)

    val_gold = rng.integers(0, 4, 4000)
    conf = validation_confusion(classify(val_gold), val_gold, LABELS)
    (tmp_path / "model").mkdir()
    json.dump(
        {"temperature": 1.0, "fitted_on": {"validation_confusion": conf}}, open(tmp_path / "model" / "head.json", "w")
    )
    truth = {dt.date(2024, 1, 1): [0.5, 0.1, 0.3, 0.1], dt.date(2024, 1, 2): [0.1, 0.5, 0.2, 0.2]}
    rows = []
    for day, prior in truth.items():
        gold = rng.choice(4, size=6000, p=prior)
        for _g, p in zip(gold, classify(gold)):
            rows.append(
                {
                    "date": day,
                    "label": LABELS[int(p.argmax())],
                    **{f"p_{lab}": float(p[j]) for j, lab in enumerate(LABELS)},
                }
            )
    pl.DataFrame(rows).write_parquet(tmp_path / "p.parquet")
    run(IndexArgs(inputs=[str(tmp_path / "p.parquet")], output=str(tmp_path / "o"), adjust=str(tmp_path / "model")))
    df = pl.read_parquet(tmp_path / "o" / "index.parquet")
    true = np.array(list(truth.values()))
    soft = df.select([f"soft_{lab}" for lab in LABELS]).to_numpy()
    adj = df.select([f"adj_{lab}" for lab in LABELS]).to_numpy()
    assert np.abs(soft - true).max() > 0.1
    assert np.abs(adj - true).max() < 0.03
    w = np.array([0, 0, 1, 0.5])
    np.testing.assert_allclose(df["index_adj"].to_numpy(), 100 * adj @ w, atol=1e-6)
