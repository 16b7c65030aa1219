"""The synthetic capability sentences: deterministic, unique, balanced, every capability, labels that fit the text."""

import collections

import pyarrow.parquet as pq
import pytest

from emopulse.core.schema import LABELS
from emopulse.core.text import canonical_list
from emopulse.train import synthetic as syn

EMOTION_CAPS = {"plain", "intensifier", "negation", "question", "slang", "emoji", "noisy"}
NEUTRAL_CAPS = {"neutral", "negation", "question", "slang", "emoji", "noisy"}


@pytest.fixture(scope="module")
def rows():
    return syn.generate(1500, 0)


def test_deterministic_for_a_seed_and_different_for_another():
    assert syn.generate(300, 0) == syn.generate(300, 0)
    other = syn.generate(300, 1)
    assert other != syn.generate(300, 0)
    assert len({r[0] for r in other} - {r[0] for r in syn.generate(300, 0)}) > 100


def test_texts_unique_canonical_and_fully_rendered(rows):
    texts = [r[0] for r in rows]
    assert len(set(texts)) == len(texts)
    assert canonical_list(texts) == texts  # what the trainer's loader would make of them
    for t in texts:
        assert t and "{" not in t and "}" not in t and "  " not in t
        assert "/" not in t.replace("-_-", ""), t  # every particle pair (이/가, 은/는, ...) resolved
        assert "니다?" not in t and "거입니다" not in t, t


def test_labels_balanced_and_capabilities_present(rows):
    counts = collections.Counter(r[1] for r in rows)
    assert set(counts) == set(LABELS)
    for label in LABELS:
        assert 0.8 * 1500 <= counts[label] <= 1.2 * 1500
        caps = {r[2] for r in rows if r[1] == label}
        assert caps == (NEUTRAL_CAPS if label == "neutral" else EMOTION_CAPS), label
    small = syn.generate(200, 3)
    assert all(0.8 * 200 <= n <= 1.2 * 200 for n in collections.Counter(r[1] for r in small).values())


@pytest.mark.parametrize("seed", [0, 1])
def test_no_template_dominates_a_label(seed):
    full = syn._generate(1500, seed)
    for label in LABELS:
        mine = [r for r in full if r[1] == label]
        by_template = collections.Counter(r[3].split("+")[0] for r in mine)  # a frame with its emoji / noisy copies
        tid, n = by_template.most_common(1)[0]
        assert n / len(mine) < 0.05, (tid, n)
        assert len(by_template) >= 30


def test_labels_agree_with_markers_in_the_text(rows):
    by = collections.defaultdict(set)
    for text, label, cap in rows:
        if cap == "negation" and "오히려" in text:
            by["not X, 오히려 Y"].add(label)
        for marker in ("킹받", "빡치", "ㅠ", "ㅜ", "ㅋㅋ", "ㅎㅎ", "ㅡㅡ", "꿀잼", "존맛", "ㅇㅋ", "넵"):
            if marker in text:
                by[marker].add(label)
        for label_of, emoji in syn.EMOJI.items():
            if any(e in text for e in emoji):
                by["emoji:" + label_of].add(label)
    assert by["not X, 오히려 Y"] == {"happiness"}  # "슬프지 않아, 오히려 기뻐": the contrasting feeling wins
    assert by["킹받"] == by["빡치"] == by["ㅡㅡ"] == {"anger"}
    assert by["ㅠ"] == by["ㅜ"] == {"sadness"}
    assert by["ㅋㅋ"] == by["ㅎㅎ"] == by["꿀잼"] == by["존맛"] == {"happiness"}
    assert by["ㅇㅋ"] == by["넵"] == {"neutral"}
    for label in LABELS:
        assert by["emoji:" + label] == {label}  # neutral emoji only on neutral text, and so on


def test_spot_checks_of_negation_and_questions(rows):
    neg = {(t, lab) for t, lab, cap in rows if cap == "negation"}
    assert any(t.startswith(("슬프지 않아, 오히려", "우울하지 않아, 오히려")) and lab == "happiness" for t, lab in neg)
    asked = [(t, lab) for t, lab in neg if "거 아니" in t and "물어본 거" in t]
    assert asked and {lab for _, lab in asked} == {"neutral"}  # "화난 거 아니야, 그냥 물어본 거야"
    assert any(lab == "neutral" and "없" in t for t, lab in neg)  # "내일은 수업이 없어요"
    assert any(lab == "sadness" and "행복하지 않" in t for t, lab in neg)
    assert any(lab == "anger" and "게 아니라" in t for t, lab in neg)
    questions = [(t, lab) for t, lab, cap in rows if cap == "question"]
    assert {lab for _, lab in questions} == set(LABELS)
    assert all(t.endswith("?") for t, lab in questions if lab == "neutral")
    assert any(t.endswith("이게 말이 돼?") for t, lab in questions if lab == "anger")
    assert any(t.startswith("왜 나만 이럴까") for t, lab in questions if lab == "sadness")
    assert any("이렇게 좋을 수가 있나" in t for t, lab in questions if lab == "happiness")


def test_noisy_rows_are_casual_copies(rows):
    noisy = [(t, lab) for t, lab, cap in rows if cap == "noisy"]
    assert len(noisy) >= 0.1 * len(rows)
    assert sum(" " not in t for t, _ in noisy) > 0.2 * len(noisy)  # spaces dropped
    assert any(typo in t for t, _ in noisy for typo in ("햇", "조아", "이써", "됬", "께요", "보고십"))
    assert syn._lge("내일 갈게요, 내가 할게") == "내일 갈께요, 내가 할께" and syn._lge("이게 뭐야") == "이게 뭐야"


def test_conjugation_and_particles():
    sad, angry, open_ = syn.Pred("슬프다", "슬퍼"), syn._v("화가 나다", "화가 나"), syn._v("열다", "열어")
    assert [sad.form(r) for r in syn.REGS] == ["슬퍼", "슬퍼요", "슬프다", "슬프네", "슬프네요", "슬픕니다"]
    assert [angry.form("da"), angry.form("hapnida"), angry.form("past_hae")] == [
        "화가 난다",
        "화가 납니다",
        "화가 났어",
    ]
    assert [angry.form("hae", "neg"), angry.form("da", "neg"), angry.form("", "adn")] == [
        "화가 나지 않아",
        "화가 나지 않는다",
        "화가 난",
    ]
    assert [open_.form("da"), open_.form("hapnida"), open_.form("ne")] == ["연다", "엽니다", "여네"]
    lonely, fun = syn.Pred("외롭다", "외로워"), syn.Pred("즐겁다", "즐거워")
    assert [lonely.form("", "adn"), fun.form("", "fut"), fun.form("past_haeyo")] == ["외로운", "즐거울", "즐거웠어요"]
    assert syn.Pred("재밌다", "재밌어").form("", "adn") == "재밌는"
    best = syn._n("최고")
    assert syn._particles(best.form("haeyo") + " " + syn._n("감동").form("haeyo")) == "최고예요 감동이에요"
    assert (
        syn._particles("민수이/가 지훈이랑/랑 지하철으로/로 서울역으로/로 가")
        == "민수가 지훈이랑 지하철로 서울역으로 가"
    )
    assert syn._particles("3번 출구은/는 지훈아/야, 최고이네/네ㅋㅋ") == "3번 출구는 지훈아, 최고네ㅋㅋ"


def test_write_round_trips_and_excludes(tmp_path, rows):
    path = str(tmp_path / "synthetic.parquet")
    held_out = {rows[0][0], rows[10][0], "  " + rows[20][0] + " ", "not generated at all"}
    n = syn.write(path, 1500, 0, exclude=held_out)
    table = pq.read_table(path)
    assert table.column_names == ["text", "label", "source", "capability"]
    assert n == table.num_rows == len(rows) - 3
    texts = table.column("text").to_pylist()
    assert not {rows[0][0], rows[10][0], rows[20][0]} & set(texts)
    assert set(table.column("source").to_pylist()) == {"synthetic"}
    assert list(zip(texts, table.column("label").to_pylist(), table.column("capability").to_pylist())) == [
        r for r in rows if r[0] not in {rows[0][0], rows[10][0], rows[20][0]}
    ]
    assert syn.write(str(tmp_path / "all.parquet"), 50, 0) == len(syn.generate(50, 0))
