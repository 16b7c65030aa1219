"""The served head: the numpy n-gram member equals scikit-learn; temperature scaling calibrates."""

import numpy as np
import pyarrow.parquet as pq
import pytest

from emopulse import data
from emopulse.core.head import Head, HeadSpec, load_head
from emopulse.core.metrics import ece
from emopulse.core.ngram import NgramModel, char_wb_ngrams
from emopulse.core.schema import LABELS
from emopulse.train.ensemble import fit_ngram, fit_temperature, nll


@pytest.fixture(scope="module")
def labelled():
    t = pq.read_table(data.path(data.LABELLED))
    return t.column("text").to_pylist(), t.column("label").to_pylist()


def test_char_wb_ngrams_match_sklearn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3)).build_analyzer()
    for text in ["이 영화  정말\t최고다 ㅋㅋ", "A  b", "", "가", "Ab가 나다라마바사 !!"]:
        assert char_wb_ngrams(text, 1, 3) == analyzer(text)


def test_ngram_member_logits_equal_sklearn_and_survive_save_load(labelled, tmp_path):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, golds = labelled
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
    clf = LogisticRegression(max_iter=500, C=4.0).fit(vec.fit_transform(texts[:1500]), golds[:1500])
    labels = list(LABELS)
    model = NgramModel.from_sklearn(vec, clf, labels)
    model.save(str(tmp_path), labels)
    loaded = NgramModel.load(str(tmp_path), labels)
    probe = texts[1500:1800] + ["", "처음 보는 단어뿐 qqq"]
    want = clf.decision_function(vec.transform(probe))[:, [list(clf.classes_).index(lab) for lab in labels]]
    np.testing.assert_allclose(loaded.logits(probe), want, atol=1e-4)


def test_temperature_scaling_lowers_ece_on_a_planted_overconfident_model():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 1.2, (4000, 4))
    p_true = np.exp(true_logits) / np.exp(true_logits).sum(1, keepdims=True)
    gold = np.array([rng.choice(4, p=p) for p in p_true])
    planted = 3.0 * true_logits  # the model is three times too sure
    t = fit_temperature(planted, gold)
    assert 2.5 < t < 3.5
    before = np.exp(planted) / np.exp(planted).sum(1, keepdims=True)
    head = Head(HeadSpec(temperature=t))
    after = head.apply(before.astype(np.float32), [""] * len(gold))
    assert ece(after, gold) < ece(before, gold) / 2
    assert nll(np.log(after), gold) < nll(planted, gold)
    assert (after.argmax(1) == before.argmax(1)).all()  # temperature never changes a label


def test_head_round_trip_and_validation(labelled, tmp_path):
    texts, golds = labelled
    labels = list(LABELS)
    ngram = fit_ngram(texts[:1000], golds[:1000], labels)
    Head(HeadSpec(temperature=1.7, ngram_weight=0.4, bias=[0, 0.2, -0.1, 0.3]), ngram).save(str(tmp_path), labels)
    head = load_head(str(tmp_path), labels)
    p = np.full((3, 4), 0.25, np.float32)
    p[1] = np.nan  # failed rows stay failed
    out = head.apply(p, texts[:3])
    assert np.isnan(out[1]).all() and np.allclose(out[[0, 2]].sum(1), 1, atol=1e-5)
    with pytest.raises(ValueError):
        HeadSpec(temperature=0)
    with pytest.raises(ValueError, match="labels"):
        load_head(str(tmp_path), ["a", "b", "c", "d"])


AWKWARD = [
    "",
    " ",
    "가",
    "a b",
    "이 영화  정말\t최고다 ㅋㅋ",
    "İSTANBUL Straße ÉCOLE",
    "x\u3000y\u00a0z\u2003w",
    "\u1680앞\u2028뒤\x1c끝",
    "😀😀 emoji 🎉",
    "ㅋ" * 300,
    "A" * 2 + " " * 5 + "B",
    "\n\n줄\n바꿈\n",
    "한 글자 씩 띄 어 쓰 기",
    "!!??..",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 Mathematical",
]


@pytest.mark.parametrize("ngram_range", [(1, 3), (2, 3), (3, 3), (1, 2), (2, 4)])
def test_vectorized_ngram_member_equals_the_reference_loop(labelled, ngram_range):
    """The served (vectorized) n-gram member gives exactly the one-n-gram-at-a-time values, whitespace
    of every kind, case folding, astral code points and sklearn's short-word rule included."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, golds = labelled
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range, min_df=1, sublinear_tf=True)
    train = texts[:800] + AWKWARD * 2
    clf = LogisticRegression(max_iter=300).fit(vec.fit_transform(train), golds[:800] + golds[: 2 * len(AWKWARD)])
    model = NgramModel.from_sklearn(vec, clf, list(LABELS))
    probe = AWKWARD + texts[800:1200]
    np.testing.assert_array_equal(model.logits(probe), model.logits_reference(probe))
    want = clf.decision_function(vec.transform(probe))[:, [list(clf.classes_).index(lab) for lab in LABELS]]
    np.testing.assert_allclose(model.logits(probe), want, atol=1e-4)
