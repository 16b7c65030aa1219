"""The written training sentences (emopulse.train.synthetic.written): well-formed, balanced enough to teach
every label, and never a near copy of a behavioural-suite item (the suites must stay unseen in training)."""

import collections
import re

import pytest

from emopulse.core.schema import LABELS
from emopulse.evaluate.suite import load_suite, near_duplicates, suite_path
from emopulse.train.synthetic import written


def test_written_sentences_are_labelled_unique_and_carry_negation():
    rows = written()
    assert len(rows) > 1000 and len({t for t, _ in rows}) == len(rows)
    counts = collections.Counter(label for _, label in rows)
    assert set(counts) == set(LABELS) and min(counts.values()) >= 150
    negation = ("안", "않", "못", "없", "아니", "아닙", "아뇨", "마", "모르", "몰라", "커녕", "기보다", "전혀")
    assert sum(any(n in t for n in negation) for t, _ in rows) / len(rows) > 0.95


def test_no_written_sentence_is_a_near_copy_of_a_suite_item():
    texts = [t for t, _ in written()]
    for name in ("behaviour", "behaviour_dev"):
        assert not near_duplicates(texts, [it.text for it in load_suite(suite_path(name))]), name


def test_a_malformed_row_is_refused_with_its_line(tmp_path):
    p = tmp_path / "w.tsv"
    p.write_text("# header\nanger\t화가 안 풀려\njoy\t안 기뻐\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"w.tsv:3: expected 'label<TAB>text'"):
        written(str(p))
    with pytest.raises(ValueError, match=re.escape("got 'joy\\t안 기뻐'")):  # the row as repr() shows it
        written(str(p))
    p.write_text("\ufeff# saved with a BOM\r\nneutral\t내일은 안 열어요 \r\n", encoding="utf-8")
    assert written(str(p)) == [("내일은 안 열어요", "neutral")]
