"""storage.write_via: the one atomic writer (parts, manifests, watch statistics, charts, dashboard)."""

import os

import pytest

from emopulse.core import storage


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "index.csv"
    storage.write_bytes(str(target), b"old")

    def half_then_crash(tmp):
        with open(tmp, "w") as f:
            f.write("half of the new")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        storage.write_via(str(target), half_then_crash)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["index.csv"]  # no .index.csv.tmp<pid> left behind


def test_a_writer_that_wants_a_path_replaces_the_file_whole(tmp_path):
    import polars as pl

    target = tmp_path / "t.parquet"
    storage.write_via(str(target), pl.DataFrame({"a": [1, 2]}).write_parquet)
    storage.write_via(str(target), pl.DataFrame({"a": [3]}).write_parquet)
    assert pl.read_parquet(target)["a"].to_list() == [3]
    assert os.listdir(tmp_path) == ["t.parquet"]
