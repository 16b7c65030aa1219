import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emopulse.core.reader import InputError, plan_inputs, plan_parts, read_parts


def _write(path, n, row_group_size=7, **extra):
    cols = {"text": pa.array([f"t{i}" for i in range(n)])}
    cols.update(extra)
    pq.write_table(pa.table(cols), path, row_group_size=row_group_size)
    return str(path)


def test_parts_cover_every_row_once_across_row_groups(tmp_path):
    a = _write(tmp_path / "a.parquet", 50)
    b = _write(tmp_path / "b.parquet", 23, row_group_size=100)
    plan = plan_inputs([str(tmp_path)], "text")
    parts = plan_parts(plan, rows_per_part=10)
    got = [(p.name, t.column("text").to_pylist()) for p, t in read_parts(plan, parts, batch_rows=4)]
    assert [g[0] for g in got] == [p.name for p in parts]
    texts = [x for _, tx in got for x in tx]
    assert texts == [f"t{i}" for i in range(50)] + [f"t{i}" for i in range(23)]
    assert plan.files == [a, b]


def test_reading_a_subset_of_parts_skips_the_others(tmp_path):
    _write(tmp_path / "a.parquet", 50)
    plan = plan_inputs([str(tmp_path / "a.parquet")], "text")
    parts = plan_parts(plan, rows_per_part=10)
    todo = [parts[1], parts[4]]
    got = {p.name: t.column("text").to_pylist() for p, t in read_parts(plan, todo)}
    assert got == {parts[1].name: [f"t{i}" for i in range(10, 20)], parts[4].name: [f"t{i}" for i in range(40, 50)]}


def test_missing_text_column_names_file_and_column(tmp_path):
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"body": ["a"]}), path)
    with pytest.raises(InputError, match=r"x\.parquet.*'text'"):
        plan_inputs([str(path)], "text")


def test_non_string_text_column(tmp_path):
    path = tmp_path / "n.parquet"
    pq.write_table(pa.table({"text": [1, 2]}), path)
    with pytest.raises(InputError, match=r"n\.parquet.*not a string"):
        plan_inputs([str(path)], "text")


def test_corrupt_file_is_named_or_skipped(tmp_path):
    good = _write(tmp_path / "good.parquet", 5)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputError, match=r"bad\.parquet"):
        plan_inputs([good, str(bad)], "text")
    plan = plan_inputs([good, str(bad)], "text", skip_bad_files=True)
    assert plan.files == [good] and str(bad) in plan.bad_files


def test_unknown_kept_column_and_missing_paths(tmp_path):
    good = _write(tmp_path / "good.parquet", 5)
    with pytest.raises(InputError, match="'nope'"):
        plan_inputs([good], "text", keep_cols=["nope"])
    with pytest.raises(InputError, match="no such file"):
        plan_inputs([str(tmp_path / "missing.parquet")], "text")
    with pytest.raises(InputError, match="glob"):
        plan_inputs([str(tmp_path / "*.csv")], "text")
