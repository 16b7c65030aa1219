"""The run contract: one regression test per problem found with bad input and faults (issue 13).
Each would have failed on the engine before the contract: inputs deleted, runs mixed, parts
trusted blindly, rows read twice, one bad value fatal, nothing saying a run is complete."""

import json
import os
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emopulse.core.errors import BundleError, EmopulseError, InputError, OutputError
from emopulse.core.parts import JOURNAL, MANIFEST, SUCCESS, OutputDir, load_run

from ..conftest import comments
from .helpers import read_output, serve


def _write(path, table, **kw):
    pq.write_table(table, str(path), **kw)
    return str(path)


# 1. --overwrite never deletes inputs ---------------------------------------------------------------
def test_output_that_is_or_holds_the_input_is_refused_and_inputs_survive(tiny_onnx, tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    for k in range(2):
        _write(d / f"part-{k:05d}-000000.parquet", comments(50, offset=k * 50))
    before = sorted(os.listdir(d))
    with pytest.raises(OutputError, match="input"):
        serve(tiny_onnx, [str(d)], d, overwrite=True)
    with pytest.raises(OutputError, match="inside the input directory"):
        serve(tiny_onnx, [str(d)], d / "predictions", overwrite=True)
    assert sorted(os.listdir(d)) == before
    # a directory of someone else's part files is never emptied by --overwrite
    other = tmp_path / "other"
    other.mkdir()
    _write(other / "part-00000-000000.parquet", comments(5))
    with pytest.raises(OutputError, match="no emopulse manifest"):
        serve(tiny_onnx, [str(d / "part-00000-000000.parquet")], other, overwrite=True)
    assert os.listdir(other) == ["part-00000-000000.parquet"]


# 2. a changed model or a changed input is refused on resume -----------------------------------------
def test_resume_refuses_a_replaced_model_file_and_replaced_input_rows(tiny_onnx, tmp_path):
    model_dir = tmp_path / "m"
    shutil.copytree(os.path.dirname(tiny_onnx), model_dir)
    model = str(model_dir / "model.onnx")
    inp = _write(tmp_path / "in.parquet", comments(300))
    serve(model, [inp], tmp_path / "out", rows_per_part=100)
    other_dir = tmp_path / "m2"
    from ..tiny import build_tiny_model, export_raw_onnx

    other = export_raw_onnx(build_tiny_model(str(tmp_path / "ck2"), seed=7), str(other_dir))
    shutil.copyfile(other, model)  # same path, other weights
    with pytest.raises(OutputError, match="model_sha256"):
        serve(model, [inp], tmp_path / "out", rows_per_part=100, resume=True)
    serve(tiny_onnx, [inp], tmp_path / "out2", rows_per_part=100)
    _write(inp, comments(300, offset=5000))  # other rows, same count
    with pytest.raises(OutputError, match="inputs"):
        serve(tiny_onnx, [inp], tmp_path / "out2", rows_per_part=100, resume=True)


def test_a_bundle_whose_model_file_was_replaced_is_refused(tiny_bundle, tmp_path):
    b = tmp_path / "b"
    shutil.copytree(tiny_bundle, b)
    with open(b / "model.onnx", "ab") as f:
        f.write(b"\0")
    with pytest.raises(BundleError, match="not the ones the export gated"):
        serve(str(b), [_write(tmp_path / "i.parquet", comments(10))], tmp_path / "o")


# 3. damaged parts are recomputed on resume ------------------------------------------------------------
@pytest.mark.parametrize("damage", ["truncate", "delete", "zero", "swap"])
def test_resume_verifies_parts_and_recomputes_damaged_ones(tiny_onnx, tmp_path, damage):
    inp = _write(tmp_path / "in.parquet", comments(400))
    ref = tmp_path / "ref"
    serve(tiny_onnx, [inp], ref, rows_per_part=100)
    out = tmp_path / "out"
    shutil.copytree(ref, out)
    p1, p2 = out / "part-00000-000001.parquet", out / "part-00000-000002.parquet"
    if damage == "truncate":
        p1.write_bytes(p1.read_bytes()[:200])
    elif damage == "delete":
        p1.unlink()
    elif damage == "zero":
        p1.write_bytes(b"\0" * p1.stat().st_size)
    else:
        a, b = p1.read_bytes(), p2.read_bytes()
        p1.write_bytes(b)
        p2.write_bytes(a)
    s = serve(tiny_onnx, [inp], out, rows_per_part=100, resume=True)
    inv = s["this_invocation"]
    assert any("part-00000-000001" in r for r in inv["parts_repaired"])
    assert inv["parts_written"] == (2 if damage == "swap" else 1)
    a, b = read_output(ref), read_output(out)
    assert a.equals(b) and os.path.exists(out / SUCCESS)


# 4. every input file once --------------------------------------------------------------------------
def test_symlinks_and_loops_never_read_a_file_twice(tiny_onnx, tmp_path):
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    _write(d / "sub" / "a.parquet", comments(30))
    os.symlink(d / "sub" / "a.parquet", d / "link.parquet")
    os.symlink(d, d / "sub" / "loop")  # a directory loop
    s = serve(tiny_onnx, [str(d / "**" / "*.parquet"), str(d)], tmp_path / "o")
    assert s["totals"]["rows"] == 30


def test_predictions_inside_an_input_dir_are_not_read_back(tiny_onnx, tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    _write(d / "a.parquet", comments(40))
    serve(tiny_onnx, [str(d / "a.parquet")], tmp_path / "preds")
    shutil.copytree(tmp_path / "preds", d / "preds")  # someone moved predictions in
    pq.write_table(
        pq.read_table(d / "preds").append_column("text", pa.array(["x"] * 40)),
        d / "preds" / "part-00000-000000.parquet",
    )
    s = serve(tiny_onnx, [str(d)], tmp_path / "o")
    assert s["totals"]["rows"] == 40


# 5. one bad value never kills a run ------------------------------------------------------------------
def test_invalid_utf8_becomes_a_dead_letter_row(tiny_onnx, tmp_path):
    texts = pa.array(
        [b"\xec\xa2\x8b\xec\x95\x84\xec\x9a\x94", b"bad \xff\xfe bytes", None, b"\xed\x99\x94\xeb\x82\x9c\xeb\x8b\xa4"],
        pa.binary(),
    ).view(pa.string())
    inp = _write(tmp_path / "u.parquet", pa.table({"id": ["a", "b", "c", "d"], "text": texts}))
    s = serve(tiny_onnx, [inp], tmp_path / "o", id_col="id")
    out = read_output(tmp_path / "o")
    assert out.column("status").to_pylist() == ["ok", "failed", "null", "ok"]
    dead = pq.read_table(tmp_path / "o" / "_deadletter")
    assert dead.column("id").to_pylist() == ["b"] and "UTF-8" in dead.column("reason")[0].as_py()
    assert s["totals"]["failed"] == s["totals"]["dead_rows"] == 1 and os.path.exists(tmp_path / "o" / SUCCESS)


def test_kept_column_type_drift_is_cast_and_counted(tiny_onnx, tmp_path):
    a = _write(tmp_path / "a.parquet", comments(20).append_column("score", pa.array(range(20), pa.int64())))
    b_scores = pa.array([str(i) if i % 2 else "n/a" for i in range(20)])
    b = _write(tmp_path / "b.parquet", comments(20, 100).append_column("score", b_scores))
    s = serve(tiny_onnx, [a, b], tmp_path / "o", keep_cols=["score"])
    col = read_output(tmp_path / "o").column("score")
    assert col.type == pa.int64() and col.to_pylist()[20:23] == [None, 1, None]
    assert s["this_invocation"]["kept_cast_nulls"] == 10


def test_a_file_with_corrupt_pages_is_skipped_mid_run(tiny_onnx, tmp_path):
    good = _write(tmp_path / "a.parquet", comments(200))
    bad = tmp_path / "b.parquet"
    pq.write_table(comments(400, 300), bad, row_group_size=100, compression="none")
    raw = bytearray(bad.read_bytes())
    mid = len(raw) // 2
    raw[mid : mid + 4000] = os.urandom(4000)  # data pages, footer intact
    bad.write_bytes(bytes(raw))
    with pytest.raises(InputError, match="b.parquet"):
        serve(tiny_onnx, [good, str(bad)], tmp_path / "o1", rows_per_part=100)
    s = serve(tiny_onnx, [good, str(bad)], tmp_path / "o2", rows_per_part=100, skip_bad_files=True)
    assert str(bad) in s["this_invocation"]["bad_files"] and s["totals"]["rows"] >= 200
    assert not s["totals"]["complete"] and not os.path.exists(tmp_path / "o2" / SUCCESS)


# 6. options checked before any work -------------------------------------------------------------------
@pytest.mark.parametrize("col", ["label", "status", "p_anger", "id", "n_tokens"])
def test_keep_cols_naming_an_output_column_is_refused(tiny_onnx, tmp_path, col):
    inp = _write(tmp_path / "i.parquet", comments(10).append_column(col, pa.array(["x"] * 10)))
    with pytest.raises(InputError, match="collides"):
        serve(tiny_onnx, [inp], tmp_path / "o", keep_cols=[col])
    assert not os.path.exists(tmp_path / "o")


def test_null_ids_get_file_row_ids_and_bad_numbers_are_refused(tiny_onnx, tmp_path):
    ids = pa.array(["a", None, "c", None])
    inp = _write(tmp_path / "i.parquet", pa.table({"id": ids, "text": ["좋아요", "싫어요", "그냥", "슬퍼"]}))
    s = serve(tiny_onnx, [inp], tmp_path / "o", id_col="id")
    assert read_output(tmp_path / "o").column("id").to_pylist() == ["a", "i.parquet:1", "c", "i.parquet:3"]
    assert s["this_invocation"]["null_ids"] == 2
    for bad in (
        {"rows_per_part": -5},
        {"rows_per_part": 0},
        {"workers": 0},
        {"max_batch_rows": 0},
        {"max_batch_tokens": -1},
    ):
        with pytest.raises(EmopulseError):
            serve(tiny_onnx, [inp], tmp_path / "o3", **bad)
    nested = _write(tmp_path / "n.parquet", pa.table({"id": pa.array([[1], [2]]), "text": ["a", "b"]}))
    with pytest.raises(InputError, match="scalars"):
        serve(tiny_onnx, [nested], tmp_path / "o4", id_col="id")


def test_repeated_ids_and_mojibake_each_get_one_warning_line_and_every_row_is_classified(tiny_onnx, tmp_path, caplog):
    import io

    import pandas as pd

    from emopulse.serve_batch.task import print_summary

    t = comments(30)
    ids = [f"c{i}" for i in range(30)]
    ids[7], ids[25] = "c2", "c3"  # within the first part; across parts
    inp = _write(tmp_path / "a.parquet", t.set_column(t.schema.get_field_index("id"), "id", pa.array(ids)))
    texts = comments(20, offset=30).column("text").to_pylist()
    csv = tmp_path / "b.csv"  # Korean once read as Latin-1 and saved again as UTF-8; one id from a.parquet
    pd.DataFrame(
        {"id": ["c9"] + [f"d{i}" for i in range(19)], "text": [x.encode().decode("latin-1") for x in texts]}
    ).to_csv(csv, index=False)
    s = serve(tiny_onnx, [inp, str(csv)], tmp_path / "o", id_col="id", rows_per_part=10)
    assert read_output(tmp_path / "o").num_rows == 50 and s["totals"]["complete"]  # still one row each
    run = s["this_invocation"]
    # logged as well, for Python callers who never see the CLI's summary lines
    assert any("3 rows have the id of an earlier row" in r.getMessage() for r in caplog.records)
    assert (run["duplicate_ids"], run["first_duplicate_id"], run["first_duplicate_file"]) == (3, "c2", inp)
    out = io.StringIO()
    print_summary(s, file=out)
    warnings = [ln for ln in out.getvalue().splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 2
    assert "3 rows have the id of an earlier row (id column 'id'; first: 'c2' in " + inp in warnings[0]
    assert f"{csv}: text column 'text' looks like mojibake" in warnings[1] and "ftfy -o " in warnings[1]
    saved = json.load(open(tmp_path / "o" / "_summary.json"))
    saved = saved["this_invocation"]
    assert saved["duplicate_ids"] == 3 and saved["input_warnings"] == run["input_warnings"]
    clean = serve(tiny_onnx, [_write(tmp_path / "c.parquet", comments(30))], tmp_path / "o2", id_col="id")
    clean = clean["this_invocation"]
    assert clean["duplicate_ids"] == 0 and clean["input_warnings"] == []


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_repeated_ids_are_counted_across_a_resume_and_across_ray_parts(tiny_onnx, tmp_path, engine):
    """A resume counts the repeats of the whole output, those inside the parts it does not recompute
    and those across it, and so does Ray across parts that different actors classify (the driver reads
    the ids back)."""
    t = comments(40)
    ids = [f"c{i}" for i in range(40)]
    ids[35] = "c2"  # the last part repeats an id of the first
    ids[15] = "c1"  # and the second one: a repeat among the parts the resume does not recompute
    inp = _write(tmp_path / "a.parquet", t.set_column(t.schema.get_field_index("id"), "id", pa.array(ids)))
    out = tmp_path / "o"
    first = serve(tiny_onnx, [inp], out, id_col="id", rows_per_part=10, engine=engine, workers=2)
    assert (first["this_invocation"]["duplicate_ids"], first["this_invocation"]["first_duplicate_id"]) == (2, "c1")
    last = sorted(f for f in os.listdir(out) if f.startswith("part-"))[-1]
    os.remove(out / last)  # the part is recomputed by the resume, the other three are read back
    again = serve(tiny_onnx, [inp], out, id_col="id", rows_per_part=10, engine=engine, workers=2, resume=True)
    inv = again["this_invocation"]
    # the resume's figure is the whole output's, as the uninterrupted run's was (a fresh user found
    # the repeat inside the finished parts reported by no invocation)
    assert inv["parts_written"] == 1 and (inv["duplicate_ids"], inv["first_duplicate_id"]) == (2, "c1")
    assert read_output(out).num_rows == 40


# 7. completeness is marked; the summary is cumulative --------------------------------------------------
def test_success_marker_and_cumulative_summary(tiny_onnx, tmp_path):
    inp = _write(tmp_path / "i.parquet", comments(300))
    out = tmp_path / "o"
    first = serve(tiny_onnx, [inp], out, rows_per_part=100)
    assert os.path.exists(out / SUCCESS) and first["totals"]["complete"]
    m = json.load(open(out / MANIFEST))  # parts recorded by an earlier version, without status counts
    for rec in m["parts"].values():
        del rec["statuses"]
    json.dump(m, open(out / MANIFEST, "w"))
    again = serve(tiny_onnx, [inp], out, rows_per_part=100, resume=True)  # a no-op resume
    saved = json.load(open(out / "_summary.json"))
    assert saved == again and again["this_invocation"]["parts_written"] == again["this_invocation"]["rows"] == 0
    assert saved["totals"] | {"seconds_total": 0} == first["totals"] | {"seconds_total": 0}
    assert saved["totals"]["rows"] == saved["totals"]["ok"] == 300 and saved["totals"]["parts_done"] == 3
    assert all(r["statuses"] == {"ok": 100} for r in json.load(open(out / MANIFEST))["parts"].values())
    assert len(saved["invocations"]) == 2 and saved["invocations"][0]["rows"] == 300
    assert saved["first_start"] <= saved["last_end"]


def test_index_and_agree_refuse_an_incomplete_run(tiny_onnx, tmp_path):
    from emopulse.index import IndexArgs
    from emopulse.index import run as index
    from emopulse.label.agree import agree

    inp = _write(tmp_path / "i.parquet", comments(300))
    out = tmp_path / "o"
    serve(tiny_onnx, [inp], out, rows_per_part=100, keep_cols=["date"], id_col="id")
    os.remove(out / SUCCESS)  # as if a run were still writing
    with pytest.raises(InputError, match="not complete"):
        index(IndexArgs(inputs=[str(out)], output=str(tmp_path / "idx")))
    with pytest.raises(InputError, match="not complete"):
        agree(str(out), str(out))
    assert index(IndexArgs(inputs=[str(out)], output=str(tmp_path / "idx"), allow_partial=True))["rows"] == 300


# 10. commits are O(1): the manifest is not rewritten per part ------------------------------------------
def test_parts_are_journalled_and_the_manifest_written_once(tmp_path):
    planned = [f"part-{i:05d}" for i in range(200)]
    t = pa.table({"x": [1]})
    with OutputDir(str(tmp_path / "o"), {"k": 1}, planned=planned) as out:
        before = os.stat(tmp_path / "o" / MANIFEST).st_mtime_ns, (tmp_path / "o" / MANIFEST).read_bytes()
        for name in planned:
            out.commit(name, t)
        after = os.stat(tmp_path / "o" / MANIFEST).st_mtime_ns, (tmp_path / "o" / MANIFEST).read_bytes()
        assert before == after
        assert len((tmp_path / "o" / JOURNAL).read_text().splitlines()) == 200
        assert len(load_run(str(tmp_path / "o")).parts) == 200  # readers replay the journal
        out.finish({"seconds": 0})
    assert len(json.load(open(tmp_path / "o" / MANIFEST))["parts"]) == 200
    assert os.path.exists(tmp_path / "o" / SUCCESS)
    assert sorted(os.listdir(tmp_path / "o")) == sorted(
        [f"{n}.parquet" for n in planned] + [MANIFEST, "_summary.json", SUCCESS]
    )  # no _lock, no journal


def test_a_finished_run_leaves_no_lock_and_a_new_run_locks_again(tmp_path):
    from emopulse.core.errors import OutputError

    t = pa.table({"x": [1]})
    with OutputDir(str(tmp_path / "o"), {"k": 1}, planned=["part-00000"]) as out:
        with pytest.raises(OutputError, match="another run"):
            OutputDir(str(tmp_path / "o"), {"k": 1}, resume=True, planned=["part-00000"])
        out.commit("part-00000", t)
        out.finish({"seconds": 0})
    assert not os.path.exists(tmp_path / "o" / "_lock")
    with OutputDir(str(tmp_path / "o"), {"k": 1}, resume=True, planned=["part-00000"]):
        assert os.path.exists(tmp_path / "o" / "_lock")
        with pytest.raises(OutputError, match="another run"):
            OutputDir(str(tmp_path / "o"), {"k": 1}, resume=True, planned=["part-00000"])
    assert not os.path.exists(tmp_path / "o" / "_lock")
