"""index on real-world prediction layouts (issue 22): instants on the right day, mixed date types,
parts checked against the run manifest, watch's and nested layouts, a validated --adjust."""

import datetime as dt
import json
import os
import subprocess
import sys

import polars as pl
import pytest

from emopulse.core.errors import InputError
from emopulse.index import IndexArgs, run

from .test_index import LABELS, ONEHOT


def _preds(path, dates, label="happiness"):
    n = len(dates)
    pl.DataFrame(
        {
            "id": [str(i) for i in range(n)],
            "date": dates,
            "label": [label] * n,
            **{f"p_{lab}": [ONEHOT[label][j]] * n for j, lab in enumerate(LABELS)},
            "status": ["ok"] * n,
        }
    ).write_parquet(path)
    return str(path)


def _periods(out):
    df = pl.read_parquet(os.path.join(out, "index.parquet"))
    return {p: n for p, n in zip(df["period"].to_list(), df["n"].to_list()) if n}


def test_z_strings_index_to_the_seoul_day_like_utc_timestamps(tmp_path):
    # 120 comments posted 2024-03-01 15:00-23:00 UTC: 2 March in Seoul
    instants = [dt.datetime(2024, 3, 1, 15) + dt.timedelta(minutes=4 * i) for i in range(120)]
    z = _preds(tmp_path / "z.parquet", [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in instants])
    run(IndexArgs(inputs=[z], output=str(tmp_path / "iz"), min_count=1))
    assert _periods(tmp_path / "iz") == {dt.date(2024, 3, 2): 120}
    ts = tmp_path / "ts.parquet"
    pl.DataFrame({"date": instants}).with_columns(pl.col("date").dt.replace_time_zone("UTC")).hstack(
        pl.read_parquet(z).drop("date")
    ).write_parquet(ts)
    run(IndexArgs(inputs=[str(ts)], output=str(tmp_path / "its"), min_count=1))
    assert _periods(tmp_path / "its") == {dt.date(2024, 3, 2): 120}
    # offsets, fractions, a naive string (local) and a date string (local)
    odd = _preds(
        tmp_path / "odd.parquet",
        [
            "2024-03-01T23:59:59.5+09:00",
            "2024-03-01 15:00:00-05:00",
            "2024-03-01T15:00+0000",
            "2024-03-01 23:30:00",
            "2024-03-01",
        ],
    )
    run(IndexArgs(inputs=[odd], output=str(tmp_path / "io"), min_count=1))
    assert _periods(tmp_path / "io") == {dt.date(2024, 3, 1): 3, dt.date(2024, 3, 2): 2}
    run(IndexArgs(inputs=[z], output=str(tmp_path / "iu"), min_count=1, timezone="UTC"))
    assert _periods(tmp_path / "iu") == {dt.date(2024, 3, 1): 120}


def test_a_date_column_of_date32_in_one_part_and_strings_in_another(tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    _preds(d / "a.parquet", [dt.date(2024, 3, 1)] * 3)
    _preds(d / "b.parquet", ["2024-03-02"] * 2)
    _preds(d / "c.parquet", ["2024-03-02T16:00:00Z"] * 4)  # 3 March in Seoul
    run(IndexArgs(inputs=[str(d)], output=str(tmp_path / "i"), min_count=1))
    assert _periods(tmp_path / "i") == {dt.date(2024, 3, 1): 3, dt.date(2024, 3, 2): 2, dt.date(2024, 3, 3): 4}


def _serve_like_run(path, dates):
    """A finished serve-batch-like run directory: parts, manifest with sizes, _SUCCESS."""
    from emopulse.core.parts import MANIFEST, SUCCESS

    os.makedirs(path)
    parts = {}
    for k, ds in enumerate(dates):
        name = f"part-00000-{k:06d}"
        _preds(os.path.join(path, f"{name}.parquet"), ds)
        parts[name] = {"rows": len(ds), "bytes": os.path.getsize(os.path.join(path, f"{name}.parquet")), "sha256": "0"}
    with open(os.path.join(path, MANIFEST), "w") as f:
        json.dump({"version": 1, "fingerprint": {}, "planned": list(parts), "parts": parts}, f)
    with open(os.path.join(path, SUCCESS), "w"):
        pass


def test_a_truncated_part_inside_a_complete_run_is_one_line(tmp_path):
    run_dir = str(tmp_path / "pred")
    _serve_like_run(run_dir, [[dt.date(2024, 3, 1)] * 50, [dt.date(2024, 3, 2)] * 50])
    part = os.path.join(run_dir, "part-00000-000001.parquet")
    with open(part, "rb") as f:
        data = f.read()
    with open(part, "wb") as f:
        f.write(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"part-00000-000001\.parquet: \d+ bytes, the manifest records"):
        run(IndexArgs(inputs=[run_dir], output=str(tmp_path / "i")))
    with open(part, "wb") as f:
        f.write(data[:8] + b"\0" * (len(data) - 8))  # same size, garbage inside
    with pytest.raises(InputError, match="cannot be read"):
        run(IndexArgs(inputs=[run_dir], output=str(tmp_path / "i")))


def test_watch_layout_and_nested_runs_read_as_one_dataset(tmp_path):
    pred = tmp_path / "pred"
    _serve_like_run(str(pred / "day0"), [[dt.date(2024, 3, 1)] * 4])
    _serve_like_run(str(pred / "day1.parquet"), [[dt.date(2024, 3, 2)] * 5])  # the old watch naming
    _serve_like_run(str(pred / "deep" / "x"), [[dt.date(2024, 3, 3)] * 6])
    run(IndexArgs(inputs=[str(pred)], output=str(tmp_path / "i"), min_count=1))
    assert _periods(tmp_path / "i") == {dt.date(2024, 3, 1): 4, dt.date(2024, 3, 2): 5, dt.date(2024, 3, 3): 6}


@pytest.mark.parametrize(
    "soft,why",
    [
        ([[1.0, 0.0], [0.0, 1.0]], "is 2x2, expected 4x4"),
        ([[float("nan")] * 4] * 4, "NaN"),
        ([[0.25] * 4] * 4, "singular"),
        ([[0.5, 0.0, 0.0, 0.0]] * 4, "sum to"),
    ],
)
def test_adjust_refuses_a_bad_confusion_in_head_json(tmp_path, soft, why):
    path = _preds(tmp_path / "p.parquet", [dt.date(2024, 3, 1)] * 3)
    head = tmp_path / "head.json"
    head.write_text(json.dumps({"fitted_on": {"validation_confusion": {"labels": LABELS, "soft": soft}}}))
    with pytest.raises(InputError, match=why):
        run(IndexArgs(inputs=[path], output=str(tmp_path / "i"), min_count=1, adjust=str(head)))


def test_index_says_rows_left_out_on_stdout(tmp_path):
    path = _preds(tmp_path / "p.parquet", ["2024-03-01", None, "yesterday"])
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "emopulse",
            "index",
            "--input",
            path,
            "--output",
            str(tmp_path / "i"),
            "--drop-bad-dates",
            "--min-count",
            "1",
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "rows left out: 1 without a date, 1 with a bad date" in r.stdout


@pytest.mark.parametrize(
    "kw,why",
    [
        ({"timezone": "Mars/Olympus"}, "not an IANA time zone"),
        ({"min_date": "yesterday"}, "--min-date 'yesterday' is not a date"),
        ({"max_date": "2024-13-01"}, "--max-date"),
    ],
)
def test_bad_period_settings_are_settings_errors(tmp_path, kw, why):
    from emopulse.core.errors import EmopulseError

    with pytest.raises(EmopulseError, match=why) as exc:
        IndexArgs(inputs=["p"], output=str(tmp_path / "i"), **kw)
    assert exc.value.exit_code == 10
