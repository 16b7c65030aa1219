"""The Python API without traps: stage functions read keywords as the CLI reads options; Classifier.predict
gives back the caller's type and refuses what is not text with one InputError line."""

import math

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import emopulse
from emopulse import Classifier, data
from emopulse.core.errors import InputError
from emopulse.core.schema import LABELS, prob_cols

from .conftest import comments


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    d = tmp_path_factory.mktemp("api")
    t = comments(300)
    pq.write_table(t.append_column("source", pa.array(["web"] * t.num_rows)), d / "in.parquet")
    return d


def test_stage_functions_take_strings_where_lists_are_expected(tiny_bundle, dated, tmp_path):
    """The README's calls: keep_cols as a comma string, inputs as one path, input= as an alias."""
    f = str(dated / "in.parquet")
    s = emopulse.serve_batch(
        inputs=[f], output=str(tmp_path / "a"), model=tiny_bundle, keep_cols="date", progress=False
    )
    assert s["totals"]["rows"] == 300
    assert "date" in pq.read_schema(next((tmp_path / "a").glob("part-*.parquet"))).names
    s = emopulse.serve_batch(
        input=f, output=str(tmp_path / "b"), model=tiny_bundle, keep_cols="date,source", progress=False
    )
    assert s["totals"]["rows"] == 300
    r = emopulse.index(inputs=str(tmp_path / "a"), output=str(tmp_path / "idx"), freq="month")
    assert r["rows"] == 300
    r = emopulse.index(
        input=[str(tmp_path / "b")],
        output=str(tmp_path / "idx2"),
        freq="month",
        weights="happiness=1,neutral=0.5,sadness=0,anger=0",
    )
    assert r["rows"] == 300


def test_evaluate_takes_inputs_like_the_other_stages(tiny_bundle, tmp_path):
    for kw in (
        {"inputs": data.path(data.LABELLED)},
        {"input": [data.path(data.LABELLED)]},
        {"data": data.path(data.LABELLED)},
    ):
        r = emopulse.evaluate(model=tiny_bundle, output=str(tmp_path / "ev"), **kw)
        assert r["n"] > 0 and 0 <= r["macro_f1"] <= 1


def test_an_unknown_keyword_names_the_closest_one(tiny_bundle, tmp_path):
    with pytest.raises(TypeError, match=r"unknown keyword 'inptu'; did you mean 'input"):
        emopulse.serve_batch(inptu=["x"], output=str(tmp_path / "o"), model=tiny_bundle)
    with pytest.raises(TypeError, match="takes one path, got 2"):
        emopulse.evaluate(inputs=["a.parquet", "b.parquet"], output=str(tmp_path / "o"))


def test_errors_from_python_give_their_advice_as_keywords(tiny_bundle, dated, tmp_path):
    """In Python the way out of an existing output is resume=True / overwrite=True, not --resume."""
    from emopulse.core.errors import OutputError

    kw = dict(model=tiny_bundle, inputs=str(dated / "in.parquet"), output=str(tmp_path / "o"), progress=False)
    emopulse.serve_batch(**kw)
    with pytest.raises(OutputError) as err:
        emopulse.serve_batch(**kw)
    assert "resume=True" in str(err.value) and "overwrite=True" in str(err.value) and "--" not in str(err.value)
    assert emopulse.serve_batch(**kw, resume=True)["this_invocation"]["parts_written"] == 0


@pytest.fixture(scope="module")
def clf(tiny_bundle):
    return Classifier(tiny_bundle)


TEXTS = ["정말 최고예요", "너무 화가 난다", None, "그냥 그래요"]


def test_predict_gives_back_the_callers_type(clf):
    want = clf.predict(TEXTS)
    assert isinstance(want, pa.Table) and want.num_rows == 4
    labels = want.column("label").to_pylist()

    got = clf.predict(pl.DataFrame({"id": [1, 2, 3, 4], "text": TEXTS}))
    assert isinstance(got, pl.DataFrame) and got.columns[:2] == ["id", "text"] and got["label"].to_list() == labels
    assert isinstance(clf.predict(pl.DataFrame({"text": TEXTS}).lazy()), pl.DataFrame)  # a LazyFrame is collected
    got = clf.predict(pl.Series("text", TEXTS))
    assert isinstance(got, pl.DataFrame) and got["label"].to_list() == labels
    cat = clf.predict(pl.DataFrame({"text": pl.Series(TEXTS, dtype=pl.Categorical)}))  # dictionary text
    assert cat["label"].to_list() == labels

    frame = pd.DataFrame({"text": TEXTS, "n": [1, 2, 3, 4]}, index=[10, 11, 12, 13])
    got = clf.predict(frame)
    assert isinstance(got, pd.DataFrame) and list(got.index) == [10, 11, 12, 13]
    assert list(got.columns[:2]) == ["text", "n"] and _texts(got["label"]) == labels
    only_text = clf.predict(pd.DataFrame({"text": TEXTS}))  # the text column alone (a 0-column rest)
    assert isinstance(only_text, pd.DataFrame) and len(only_text) == 4 and _texts(only_text["label"]) == labels
    series = pd.Series(["정말 최고예요", "너무 화가 난다", math.nan, "그냥 그래요"], index=list("abcd"))
    got = clf.predict(series)  # NaN is a null row, as None is
    assert isinstance(got, pd.DataFrame) and list(got.index) == list("abcd")
    assert got["status"].tolist()[2] == "null" and _texts(got["label"]) == labels

    got = clf.predict(np.array(["정말 최고예요", "너무 화가 난다"]))
    assert isinstance(got, pa.Table) and got.column("label").to_pylist() == labels[:2]
    got = clf.predict(pa.table({"text": TEXTS}).to_batches()[0])
    assert isinstance(got, pa.Table) and got.column("label").to_pylist() == labels
    np.testing.assert_array_equal(
        np.array(clf.predict(pa.array(TEXTS, pa.large_string())).select(prob_cols(LABELS))),
        np.array(want.select(prob_cols(LABELS))),
    )
    assert isinstance(clf(frame), pd.DataFrame) and isinstance(clf(pa.table({"text": TEXTS})), pa.Table)


def _texts(series):
    return [x if isinstance(x, str) else None for x in series]  # pandas shows a null string as NaN


@pytest.mark.parametrize(
    "bad, msg",
    [
        (None, "got None"),
        (5, "cannot classify a int"),
        ("정말 최고예요", "not one string"),
        ([1, 2, 3], "item 0 is int"),
        (["ok", 2.5], "item 1 is float"),
        (pl.DataFrame({"text": [1, 2]}), "text column 'text' is int64, not text"),
        (pd.DataFrame({"text": pd.array([1, 2], dtype="Int64")}), "text column 'text' is int64, not text"),
        (pd.DataFrame({"text": ["a", 3]}), "mixes int, str values"),
        (pl.DataFrame({"body": ["a"]}), "no text column 'text' \\(columns: body\\)"),
        ({"text": "abc"}, "column 'text' is one string, not a list"),
        ({"text": ["a"], "n": [1, 2]}, "not a table of columns"),
    ],
)
def test_predict_refuses_what_is_not_text_with_one_line(clf, bad, msg):
    with pytest.raises(InputError, match=msg) as err:
        clf.predict(bad)
    assert "\n" not in str(err.value)
