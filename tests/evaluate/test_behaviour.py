"""The behavioural test suite (evaluate.suite, behaviour.tsv): the file is well formed, `evaluate
--suite behaviour` reports it, and the shipped model passes every non-hard capability at the floor.

The expected labels are what a careful annotator gives each sentence, never what a model said: a
capability below the floor is a finding about the model, not a reason to edit the suite."""

import contextlib
import io
import json
import os
import unicodedata
from collections import Counter

import pytest

from emopulse import model
from emopulse.core.errors import EmopulseError, InputError
from emopulse.core.schema import LABELS
from emopulse.evaluate.suite import FLOOR, load_suite, markdown, markdown_table, near_duplicates, suite_path

HEADER = "capability\thard\tlabel\ttext\n"


def test_suite_file_is_well_formed():
    items = load_suite()  # refuses bad columns, labels, hard flags, duplicate texts (tested below)
    assert 180 <= len(items) <= 230
    assert {it.label for it in items} == set(LABELS)
    caps = Counter(it.capability for it in items)
    assert len(caps) >= 8 and min(caps.values()) >= 8, caps
    assert max(caps.values()) <= 35, caps
    assert sum(it.label == "neutral" for it in items) >= 45  # the model's weakest class is well covered
    assert caps["neutral_statements"] >= 25
    assert {it.capability for it in items if it.hard} == {"sarcasm"}
    texts = [it.text for it in items]
    assert len(set(texts)) == len(texts)
    folded = [unicodedata.normalize("NFKC", t).strip() for t in texts]
    assert len(set(folded)) == len(folded)  # no two items differ only in byte form
    assert all(t == t.strip() and "\t" not in t and 1 <= len(t) <= 60 for t in texts)
    by_text = {it.text: it for it in items}
    assert by_text["너무 화가 난다"].label == "anger"  # the README's examples
    assert by_text["열받아"].label == "anger"
    for cap in ("plain_anger", "plain_sadness", "plain_happiness"):
        assert {it.label for it in items if it.capability == cap} == {cap.split("_")[1]}
    header = open(suite_path(), encoding="utf-8").read().split("\ncapability\t", 1)[0]
    assert "written for this project" in header and "Licence" in header


def test_the_dev_suite_covers_the_same_capabilities_and_no_item_is_a_near_copy_of_a_held_out_one():
    """Choices are made on behaviour_dev.tsv, figures reported on behaviour.tsv: the two must not share
    items, not even near copies (one author writes similar sentences)."""
    held, dev = load_suite(), load_suite(suite_path("behaviour_dev"))
    assert 480 <= len(dev) <= 540  # 188 items of the first writer, 110 negation items of a second, 214 of a third
    assert {it.capability for it in dev} == {it.capability for it in held}
    assert {it.capability for it in dev if it.hard} == {"sarcasm"}
    assert {it.label for it in dev} == set(LABELS)
    assert not near_duplicates([it.text for it in dev], [it.text for it in held])


def test_near_duplicates_sees_through_punctuation_and_spacing_but_not_a_new_sentence():
    held = ["한국의 수도는 서울이다", "물은 100도에서 끓는다"]
    assert near_duplicates(["한국의 수도는 서울이다.", "한국의수도는서울이다!!"], held) == {
        "한국의 수도는 서울이다.",
        "한국의수도는서울이다!!",
    }
    assert near_duplicates(["물은 섭씨 백 도에서 끓는다"], held) == set()  # 0.73
    assert near_duplicates(["물은 섭씨 백 도에서 끓는다"], held, ratio=0.7) == {"물은 섭씨 백 도에서 끓는다"}
    assert near_duplicates(["오늘 회의는 취소되었습니다"], held) == set()
    assert near_duplicates([], held) == set() and near_duplicates(["x"], []) == set()


@pytest.mark.parametrize(
    "line, why",
    [
        ("x\t0\tjoy\t좋아\n", "label 'joy'"),
        ("x\tyes\tanger\t화나\n", "hard is 'yes'"),
        ("x\t0\tanger\n", "3 tab-separated columns"),
        ("x\t0\tanger\t화나\nx\t0\tanger\t화나\n", "already line"),
        ("x\t0\tanger\t화나\nx\t1\tanger\t빡쳐\n", "mixes hard and non-hard"),
    ],
)
def test_a_bad_suite_line_is_refused_with_its_line_number(tmp_path, line, why):
    path = tmp_path / "s.tsv"
    path.write_text("# a comment\n" + HEADER + line, encoding="utf-8")
    with pytest.raises(InputError, match=why) as exc:
        load_suite(str(path))
    assert "s.tsv:" in str(exc.value)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """`emopulse evaluate --suite behaviour` on the shipped model, once: (report, printed text, dir)."""
    if not model.available():
        pytest.skip("no shipped model in this install")
    from emopulse.cli import main

    out, printed = tmp_path_factory.mktemp("behaviour"), io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["evaluate", "--suite", "behaviour", "--output", str(out)]) == 0
    return json.load(open(out / "behaviour.json", encoding="utf-8")), printed.getvalue(), out


def test_the_report_adds_up(shipped):
    r = shipped[0]
    items = load_suite()
    assert r["n"] == len(items) == sum(c["n"] for c in r["capabilities"])
    assert r["passed"] == sum(c["passed"] for c in r["capabilities"]) == r["n"] - len(r["failures"])
    assert r["non_hard"]["n"] == sum(not it.hard for it in items)
    assert [c["capability"] for c in r["capabilities"]] == list(dict.fromkeys(it.capability for it in items))
    for f in r["failures"]:
        assert f["expected"] != f["predicted"] and 0 <= f["p_expected"] <= f["p_predicted"] <= 1
    table = markdown_table(r)
    assert table.count("\n") == 2 + len(r["capabilities"]) + 2  # header, rows, non-hard and all
    assert "| sarcasm | yes |" in table
    assert f"Failing items ({len(r['failures'])})" in markdown(r)


def test_evaluate_suite_writes_json_and_markdown_and_prints_the_table(shipped):
    rep, printed, out = shipped
    assert "| capability | hard | n | passed | pass rate |" in printed and "suite items pass" in printed
    assert rep["n"] == len(load_suite()) and rep["model"] == os.path.abspath(model.path())
    assert open(out / "behaviour.md", encoding="utf-8").read() == markdown(rep)
    assert not os.path.exists(out / "metrics.json")  # no --input: the suite only


def test_evaluate_with_input_and_suite_does_both(shipped, tmp_path):
    import pyarrow.parquet as pq

    import emopulse
    from emopulse import data

    pq.write_table(pq.read_table(data.path(data.LABELLED)).slice(0, 40), tmp_path / "gold.parquet")
    r = emopulse.evaluate(inputs=str(tmp_path / "gold.parquet"), suite="behaviour", output=str(tmp_path / "ev"))
    assert r["n"] > 0 and r["behaviour"]["failures"] == shipped[0]["failures"]  # one answer per text
    for f in ("metrics.json", "behaviour.json", "behaviour.md"):
        assert os.path.getsize(tmp_path / "ev" / f) > 0


def test_evaluate_needs_an_input_or_a_suite(tmp_path):
    from emopulse.evaluate import EvaluateArgs

    with pytest.raises(EmopulseError, match="--input .* or --suite"):
        EvaluateArgs(output=str(tmp_path / "r"))


# The goal is FLOOR (0.90) for every non-hard capability. The shipped model (make model, this
# recipe) would be listed here where it falls short, measured (its model card shows the table): each is held at least at
# its measured pass count so a regression fails, and one that reaches the goal must leave the list. The model gives one answer per text, so these counts are exact.
BELOW_GOAL: dict[str, int] = {}  # capability: items the shipped model passes (of the group's n); none now


def test_shipped_model_passes_non_hard_groups(shipped):
    """THE floor: every non-hard capability of the suite at >= FLOOR (0.90) on the shipped model,
    except the measured shortfalls in BELOW_GOAL, each held at its measured count."""
    r = shipped[0]
    below = [
        c
        for c in r["capabilities"]
        if not c["hard"]
        and c["rate"] < FLOOR
        and (c["capability"] not in BELOW_GOAL or c["passed"] < BELOW_GOAL[c["capability"]])
    ]
    fails = [
        f"  [{f['capability']}] {f['text']!r}: expected {f['expected']}, got {f['predicted']}"
        for f in r["failures"]
        if not f["hard"] and f["capability"] in {c["capability"] for c in below}
    ]
    assert not below, (
        "below the floor: "
        + ", ".join(f"{c['capability']} {c['passed']}/{c['n']} ({c['rate']:.2f})" for c in below)
        + "\n"
        + "\n".join(fails)
    )
    stale = [c["capability"] for c in r["capabilities"] if c["capability"] in BELOW_GOAL and c["rate"] >= FLOOR]
    assert not stale, f"now at the {FLOOR} goal, remove from BELOW_GOAL: {stale}"
