"""Readers keep values as written (issue 22): CSV / JSON Lines / Parquet as real exports make them."""

import json
from unittest import mock

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emopulse.core import reader
from emopulse.core.errors import EmopulseError
from emopulse.core.reader import (
    InputError,
    plan_inputs,
    plan_parts,
    read_parts,
    row_columns,
)


def _read(paths, text_col="text", id_col=None, keep=(), rows_per_part=1000, **kw):
    plan = plan_inputs([str(p) for p in paths], text_col, id_col, keep, **kw)
    out = {}
    for part, table in read_parts(plan, plan_parts(plan, rows_per_part)):
        cols = row_columns(plan, part, table, id_col or "id")
        for name, arr in zip(["id", *[f"keep:{f.name}" for f in plan.keep_schema]], cols):
            out.setdefault(name, []).extend(arr.to_pylist())
        out.setdefault("text", []).extend(reader.decode_texts(table.column(text_col))[0])
    return plan, out


def test_na_words_are_comments_and_only_an_empty_field_is_missing(tmp_path):
    p = tmp_path / "na.csv"
    p.write_text(
        'id,text,zip\n001,NA,00501\n002,"null",01234\n003,nan,7\n004,N/A,x\n005,"#N/A",\n006,,\n'
        '007,"",3\n008,NULL,4\n009,None,5\n010,-nan,6\n',
        encoding="utf-8",
    )
    plan, got = _read([p], keep=["zip"])
    assert got["text"] == ["NA", "null", "nan", "N/A", "#N/A", None, None, "NULL", "None", "-nan"]
    assert got["id"] == [f"{i:03d}" for i in range(1, 11)]  # leading zeros kept
    assert got["keep:zip"] == ["00501", "01234", "7", "x", None, None, "3", "4", "5", "6"]
    assert plan.keep_schema.field("zip").type in (pa.string(), pa.large_string())


@pytest.mark.parametrize("block", [1 << 22, 1 << 16])  # the default; many boundaries (the old reader failed)
def test_multiline_quoted_values_across_block_boundaries_give_every_row(tmp_path, monkeypatch, block):
    monkeypatch.setattr(reader, "TEXT_BLOCK_BYTES", block)
    rows = ['"' + f'줄 {i} 첫째\n둘째 ""따옴표"", 쉼표\n셋째' + " 가나다" * (i % 50) + '"' for i in range(24000)]
    p = tmp_path / "big.csv"
    p.write_text("text,id\n" + "\n".join(f"{r},{i}" for i, r in enumerate(rows)) + "\n", encoding="utf-8")
    assert p.stat().st_size > 4.5 * (1 << 20)
    plan, got = _read([p], id_col="id", rows_per_part=5000)
    assert plan.num_rows == [24000] and len(got["text"]) == 24000
    assert got["id"] == [str(i) for i in range(24000)]
    assert got["text"][23999] == '줄 23999 첫째\n둘째 "따옴표", 쉼표\n셋째' + " 가나다" * (23999 % 50)


def test_jsonl_whose_id_drifts_from_number_to_string_and_an_unused_column_drifts(tmp_path):
    lines = [{"id": i, "text": f"좋아요 {i}", "meta": i} for i in range(3)] + [
        {"id": "x-7", "text": "싫어요", "meta": "many"},
        {"id": 1.5, "text": 12, "meta": {"a": 1}},
        {"id": None, "text": None},
    ]
    p = tmp_path / "drift.jsonl"
    p.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n", encoding="utf-8")
    plan, got = _read([p], id_col="id")
    assert plan.formats == ["jsonl-lines"] and plan.num_rows == [6]
    assert got["id"][:5] == ["0", "1", "2", "x-7", "1.5"] and got["id"][5] == "drift.jsonl:5"
    assert got["text"] == ["좋아요 0", "좋아요 1", "좋아요 2", "싫어요", "12", None]
    plan, got = _read([p], keep=["meta"])
    assert got["keep:meta"] == ["0", "1", "2", "many", '{"a": 1}', None]
    ok = tmp_path / "ok.jsonl"  # a file Arrow reads whole keeps its fast path
    ok.write_text('{"id": 1, "text": "a"}\n{"id": 2, "text": "b"}\n', encoding="utf-8")
    assert plan_inputs([str(ok)], "text").formats == ["jsonl"]


@pytest.mark.parametrize("make", ["pandas", "polars"])
def test_a_categorical_parquet_text_column_is_decoded(tmp_path, make):
    texts = ["좋아요", "싫어요", "좋아요", None, "그냥"]
    p = str(tmp_path / "cat.parquet")
    if make == "pandas":
        pd.DataFrame({"text": pd.Series(texts, dtype="category"), "id": list("abcde")}).to_parquet(p)
    else:
        pl.DataFrame(
            {"text": texts, "id": list("abcde")}, schema={"text": pl.Categorical, "id": pl.String}
        ).write_parquet(p)
    assert pa.types.is_dictionary(pq.read_schema(p).field("text").type)
    _, got = _read([p], id_col="id", keep=["text"])
    assert got["text"] == got["keep:text"] == texts and got["id"] == list("abcde")


def test_an_invalid_byte_in_one_csv_row_stays_in_that_row(tmp_path):
    p = tmp_path / "bad_byte.csv"
    p.write_bytes("id,text\n1,좋아요\n2,".encode() + b"bad \xff byte" + "\n3,싫어요\n".encode())
    _, got = _read([p], id_col="id")
    assert got["id"] == ["1", "2", "3"]
    _, bad = reader.decode_texts(pa.array([b"ok", b"bad \xff"], pa.binary()).view(pa.string()))
    assert list(bad) == [1]
    assert got["text"][0] == "좋아요" and got["text"][2] == "싫어요" and "\ufffd" in got["text"][1]


def test_a_cp949_csv_is_refused_with_the_hint_and_read_with_its_encoding(tmp_path):
    rows = [("1", "정말 최고예요"), ("2", "너무 화가 난다"), ("3", "그냥 그래요")] * 20
    p = tmp_path / "excel.csv"
    p.write_bytes(("아이디,text\n" + "\n".join(f"{a},{b}" for a, b in rows) + "\n").encode("cp949"))
    with pytest.raises(InputError, match=r"excel\.csv: is not UTF-8 .*try --encoding cp949"):
        plan_inputs([str(p)], "text")
    _, got = _read([p], id_col="아이디", encoding="cp949")
    assert got["text"] == [b for _, b in rows] and got["id"] == [a for a, _ in rows]
    j = tmp_path / "excel.jsonl"
    j.write_bytes("\n".join(json.dumps({"text": b}, ensure_ascii=False) for _, b in rows).encode("euc-kr"))
    assert _read([j], encoding="euc-kr")[1]["text"] == [b for _, b in rows]
    with pytest.raises(EmopulseError, match="not an encoding"):
        plan_inputs([str(p)], "text", encoding="klingon")
    u = tmp_path / "utf8.csv"  # a legacy file named as the wrong legacy encoding
    u.write_bytes("text\n정말\n".encode("utf-16"))
    with pytest.raises(InputError, match=r"utf8\.csv"):
        plan_inputs([str(u)], "text", encoding="cp949")


def test_an_explicit_id_column_that_is_absent_is_an_error(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("id,text\n7,a\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"a\.csv: has no id column 'ID' named by --id-col"):
        plan_inputs([str(p)], "text", "ID")
    assert _read([p])[1]["id"] == ["7"]  # not named: the file's 'id'
    q = tmp_path / "b.csv"
    q.write_text("text\nb\n", encoding="utf-8")
    assert _read([q])[1]["id"] == ["b.csv:0"]  # not named, absent: generated


def test_a_bom_is_read_past_in_every_reader(tmp_path):
    c = tmp_path / "bom.csv"
    c.write_bytes(b"\xef\xbb\xbfid,text\n1,a\n")
    j = tmp_path / "bom.jsonl"
    j.write_bytes(b'\xef\xbb\xbf{"id": 1, "text": "a"}\n{"id": "x", "text": "b"}\n')  # drift: line by line
    assert _read([c], id_col="id")[1]["id"] == ["1"]
    plan, got = _read([j], id_col="id")
    assert plan.formats == ["jsonl-lines"] and got["id"] == ["1", "x"]


def test_an_empty_id_col_asks_for_generated_ids(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("id,text\n7,a\n", encoding="utf-8")
    assert _read([p], id_col="")[1]["id"] == ["a.csv:0"]


def _sloppy_cp1252(text: str) -> str:
    """UTF-8 read as Windows' cp1252 (its 5 undefined bytes kept as C1 controls, as Windows does)."""
    return "".join(bytes([b]).decode("cp1252", "ignore") or chr(b) for b in text.encode())


def test_latin1_mojibake_in_a_text_column_is_one_warning_with_the_fix_and_accents_are_not(tmp_path):
    from ..conftest import comments

    texts = comments(300).column("text").to_pylist()
    cases = {
        "latin1.csv": ([t.encode().decode("latin-1") for t in texts], "latin-1"),
        "cp1252.csv": ([_sloppy_cp1252(t) for t in texts], "cp1252"),
        # a third broken, the rest good: the advice must work on it too (a codec on the whole file fails)
        "mixed.csv": ([t.encode().decode("latin-1") if i % 3 == 0 else t for i, t in enumerate(texts)], "latin-1"),
        "korean.csv": (texts, None),
        "accents.csv": (["café crème", "Müller & Söhne", "naïve résumé", "déjà vu", "“quoted” – £5, 25°C"] * 40, None),
    }
    for name, (col, fix) in cases.items():
        pd.DataFrame({"id": range(len(col)), "review": col}).to_csv(tmp_path / name, index=False)
        plan = plan_inputs([str(tmp_path / name)], "review")
        if fix is None:
            assert plan.warnings == [], name
            continue
        (line,) = plan.warnings  # one line for the file, naming file, column and the fix
        assert line.startswith(f"{tmp_path / name}: text column 'review' looks like mojibake") and fix in line
        out = tmp_path / f"fixed-{name}"
        assert "\n" not in line and f"ftfy -o {out} {tmp_path / name}" in line and "ftfy.fix_text(text)" in line
        assert ("a mixed file" in line) == (name == "mixed.csv")
        # the advice works: ftfy's command line (the one the line gives) restores every text, good ones kept
        from ftfy.cli import main as ftfy

        with mock.patch("sys.argv", ["ftfy", "-o", str(out), str(tmp_path / name)]):
            ftfy()
        assert pd.read_csv(out)["review"].tolist() == texts and plan_inputs([str(out)], "review").warnings == []
        # the rows are still read (and classified) as they are
        assert plan.num_rows == [len(col)]
    j = tmp_path / "latin1.jsonl"
    j.write_text("\n".join(json.dumps({"text": t.encode().decode("latin-1")}) for t in texts), encoding="utf-8")
    assert len(plan_inputs([str(j)], "text").warnings) == 1
    # 'ì¢\x8bì\x95\x84' is '좋아', shown in the line
    assert "'좋아'" in reader._mojibake("x.csv", pa.array(["좋아".encode().decode("latin-1")] * 2))


def test_a_utf8_file_read_with_a_single_byte_encoding_is_refused_and_a_true_one_is_not(tmp_path):
    """--encoding latin-1 / cp1252 on a UTF-8 file turns every Korean text into mojibake: refused before
    work starts (skipped with --skip-bad-files), named with the fix; a mixed file is a warning."""
    from ..conftest import comments

    texts = comments(200).column("text").to_pylist()
    utf8, mixed, true = tmp_path / "utf8.csv", tmp_path / "mixed.csv", tmp_path / "latin1.csv"
    pd.DataFrame({"text": texts}).to_csv(utf8, index=False, encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{utf8}: is UTF-8, not latin-1: .*leave --encoding out$"):
        plan_inputs([str(utf8)], "text", encoding="latin-1")  # Latin-1 decodes any byte: only this check sees it
    with pytest.raises(InputError, match=rf"^{utf8}: is not cp1252 .*it is UTF-8: leave --encoding out$"):
        plan_inputs([str(utf8)], "text", encoding="cp1252")  # cp1252 has undefined bytes: the decoder sees it
    why, whole = reader._wrong_encoding("x.csv", pa.array(["좋아".encode().decode("latin-1")] * 2), "cp1252")
    assert whole and why.startswith("is UTF-8, not cp1252: ") and "'좋아'" in why  # UTF-8 free of those bytes
    assert not plan_inputs([str(utf8)], "text").warnings  # read as what it is: nothing to say
    accents = ["café crème", "Müller & Söhne", "naïve résumé", "déjà vu", "25°C, £5"] * 40
    pd.DataFrame({"text": accents}).to_csv(true, index=False, encoding="latin-1")
    plan = plan_inputs([str(true), str(utf8)], "text", encoding="latin-1", skip_bad_files=True)
    assert plan.files == [str(true)] and plan.warnings == []  # genuine Latin-1 is read, the UTF-8 file skipped
    with open(mixed, "wb") as f:  # a file appended to by two programs: Latin-1 rows, then UTF-8 rows
        f.write(pd.DataFrame({"text": accents[:50]}).to_csv(index=False).encode("latin-1"))
        f.write(pd.DataFrame({"text": texts[:50]}).to_csv(index=False, header=False).encode("utf-8"))
    (line,) = plan_inputs([str(mixed)], "text", encoding="latin-1").warnings
    assert line.startswith(f"{mixed}: mixes encodings: read as latin-1, ") and "\n" not in line
    # the advice works (a fresh user found the first one did not): the command it gives repairs every
    # row, and the repaired file is read without --encoding, with nothing to say
    cmd = line.split("pip install ftfy && ")[1].split()
    assert cmd[:3] == ["ftfy", "-e", "latin-1"]
    from ftfy.cli import main as ftfy

    with mock.patch("sys.argv", cmd):
        ftfy()
    fixed = cmd[cmd.index("-o") + 1]
    assert pd.read_csv(fixed)["text"].tolist() == accents[:50] + texts[:50]
    assert plan_inputs([fixed], "text").warnings == []
    # the checks read non-ASCII texts from the whole file, not its first rows: 1,200 English rows first
    late = tmp_path / "late.csv"
    pd.DataFrame({"text": ["plain English text"] * 1200 + texts[:30]}).to_csv(late, index=False)
    with pytest.raises(InputError, match=rf"^{late}: is UTF-8, not latin-1"):
        plan_inputs([str(late)], "text", encoding="latin-1")
    # a tenth of the rows UTF-8 (Korean, 3-byte UTF-8): still one warning
    few = tmp_path / "few.csv"
    with open(few, "wb") as f:
        f.write(pd.DataFrame({"text": accents[:45]}).to_csv(index=False).encode("latin-1"))
        f.write(pd.DataFrame({"text": texts[:5]}).to_csv(index=False, header=False).encode("utf-8"))
    assert len(plan_inputs([str(few)], "text", encoding="latin-1").warnings) == 1


def test_repeated_ids_are_counted_within_a_part_and_across_parts_and_files(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("id,text\n1,가\n2,나\n2,다\n3,라\n4,마\n", encoding="utf-8")  # 2 twice in the first part
    b.write_text("id,text\n5,바\n4,사\n6,아\n", encoding="utf-8")  # 4: in a.csv's second part
    plan = plan_inputs([str(a), str(b)], "text", "id")
    counts, seen, ids = {}, reader.SeenIds(), []
    for part, table in read_parts(plan, plan_parts(plan, 3)):
        ids += row_columns(plan, part, table, "id", counts, seen)[0].to_pylist()
    assert ids == ["1", "2", "2", "3", "4", "5", "4", "6"]  # every row keeps its row
    assert counts == {"duplicate_ids": 2, "first_duplicate_id": "2", "first_duplicate_file": str(a)}
    counts = {}  # generated ids are never checked
    plan = plan_inputs([str(a)], "text", "")
    for part, table in read_parts(plan, plan_parts(plan, 3)):
        row_columns(plan, part, table, "id", counts, seen)
    assert counts == {}
    many = reader.SeenIds()  # the sorted runs merge: a repeat far back is still found
    assert [len(many.repeats(pa.array([str(i + k * 10) for i in range(10)]))) for k in range(40)] == [0] * 40
    assert many.repeats(pa.array(["5", "new", "395", "new"])).tolist() == [0, 2, 3]
    assert len(many.runs) <= 6
    # a call whose every id came before (an input repeated whole, as tests/serve_batch/test_memory.py
    # does) once left an empty run that the next call indexed: IndexError, exit 1
    assert many.repeats(pa.array(["1", "2"])).tolist() == [0, 1]
    assert many.repeats(pa.array(["3", "brand-new"])).tolist() == [0] and all(len(r) for r in many.runs)


def test_a_nan_id_is_a_missing_id_not_the_id_nan(tmp_path):
    """pandas stores a missing id of a float column as NaN: it once became the id 'nan', twice, and so a
    repeated id; it is a null id, replaced by <file>:<row> like any other."""
    f = tmp_path / "f.parquet"
    pq.write_table(pa.table({"id": [1.0, float("nan"), float("nan")], "text": ["가", "나", "다"]}), f)
    plan = plan_inputs([str(f)], "text", "id")
    counts, seen = {}, reader.SeenIds()
    ((part, table),) = list(read_parts(plan, plan_parts(plan, 10)))
    assert row_columns(plan, part, table, "id", counts, seen)[0].to_pylist() == ["1", "f.parquet:1", "f.parquet:2"]
    assert counts == {"null_ids": 2}
