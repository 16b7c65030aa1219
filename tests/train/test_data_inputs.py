"""Labelled data is read in its canonical text (issue 22): the byte forms of one comment are one row."""

import unicodedata

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emopulse.core.errors import InputError
from emopulse.train.data import load_labelled

LABELS = ["anger", "sadness", "happiness", "neutral"]


def test_categorical_columns_and_byte_forms_of_one_comment(tmp_path):
    p = tmp_path / "lab.parquet"
    texts = ["정말 좋아요", unicodedata.normalize("NFD", "정말 좋아요"), "정말 좋\u200b아요", "싫어요", "\u3164"]
    pd.DataFrame(
        {
            "text": pd.Series(texts, dtype="category"),
            "label": pd.Series(["happiness"] * 3 + ["anger", "neutral"], dtype="category"),
        }
    ).to_parquet(p)
    d = load_labelled(str(p), "text", "label", LABELS)
    assert d.texts == ["정말 좋아요", "싫어요"] and d.labels == ["happiness", "anger"]
    assert d.report["duplicates"] == 2 and d.report["empty"] == 1


def test_a_text_column_that_is_not_text_is_named(tmp_path):
    p = tmp_path / "n.parquet"
    pq.write_table(pa.table({"text": [1, 2], "label": ["anger", "happiness"]}), p)
    with pytest.raises(InputError, match=r"n\.parquet: text column 'text' is int64"):
        load_labelled(str(p), "text", "label", LABELS)
