"""watch on real-world input habits (issue 22): a file replaced under the same name, SIGTERM with a
backlog, and its predictions directory read whole by `index` and by a glob."""

import datetime as dt
import os

import polars as pl

from emopulse.index import IndexArgs
from emopulse.index import run as index
from emopulse.watch import run
from emopulse.watch.run import Watcher

from .test_watch import day_file, normal_day, wargs


def _wargs(tmp_path):
    a = wargs(tmp_path)
    a.min_count = 1
    return a


def test_a_file_replaced_under_a_folded_name_is_classified_again(tmp_path):
    (tmp_path / "in").mkdir()
    n = day_file(tmp_path / "in" / "day0.parquet", dt.date(2024, 3, 1), normal_day(1)[:10], 0)
    s = run(_wargs(tmp_path))
    assert s["rows"] == n and sorted(os.listdir(tmp_path / "pred")) == ["day0_parquet"]
    os.utime(tmp_path / "in" / "day0.parquet", ns=(1, 1))  # mtimes must differ, even on coarse clocks
    n += day_file(tmp_path / "in" / "day0.parquet", dt.date(2024, 3, 2), normal_day(2)[:7], 100)
    s = run(_wargs(tmp_path))
    assert s["rows"] == n == 17 and s["files"] == 2
    assert run(_wargs(tmp_path))["rows"] == 17  # nothing twice
    assert not any(d.endswith((".parquet", ".csv")) for d in os.listdir(tmp_path / "pred"))
    # the whole predictions directory, by `index` and by the documented glob
    index(IndexArgs(inputs=[str(tmp_path / "pred")], output=str(tmp_path / "batch"), min_count=1))
    a = pl.read_parquet(tmp_path / "idx" / "index.parquet")
    b = pl.read_parquet(tmp_path / "batch" / "index.parquet")
    assert a["n"].to_list() == b["n"].to_list() == [10, 7]
    assert pl.scan_parquet(str(tmp_path / "pred" / "*" / "part-*.parquet")).collect().height == 17


def test_sigterm_stops_between_files_not_after_the_backlog(tmp_path, monkeypatch):
    import importlib

    wr = importlib.import_module("emopulse.watch.run")
    (tmp_path / "in").mkdir()
    for i in range(4):
        day_file(tmp_path / "in" / f"d{i}.parquet", dt.date(2024, 3, 1) + dt.timedelta(i), normal_day(i)[:5], 10 * i)
    w = Watcher(_wargs(tmp_path))
    real = wr.classify

    def classify_then_term(path, key, args):
        out = real(path, key, args)
        w.stop.set()  # what the SIGTERM handler does, while the first file is in work
        return out

    monkeypatch.setattr(wr, "classify", classify_then_term)
    s = w.run()
    assert s["files"] == 1 and s["rows"] == 5


def test_an_empty_file_is_folded_not_set_aside(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "in").mkdir()
    pq.write_table(
        pa.table(
            {"id": pa.array([], pa.string()), "text": pa.array([], pa.string()), "date": pa.array([], pa.date32())}
        ),
        tmp_path / "in" / "empty.parquet",
    )
    n = day_file(tmp_path / "in" / "day1.parquet", dt.date(2024, 3, 1), normal_day(1)[:6], 0)
    s = run(_wargs(tmp_path))
    assert s["bad_files"] == 0 and s["files"] == 2 and s["rows"] == n
