"""The canonical text (issue 22): one byte form per comment for every model member."""

import unicodedata

import numpy as np
import pyarrow as pa
import pytest

from emopulse.core.text import canonical, canonical_list

NFC = ["정말 최고예요", "너무 화가 난다", "그냥 그래요 ㅋㅋ", "최악의 영화였다 ㅠㅠ"]


def test_canonical_folds_forms_widths_invisibles_and_spaces():
    got = canonical_list(
        [
            unicodedata.normalize("NFD", NFC[0]),
            "ＡＢＣ　ｶﾞ",
            "좋\u200b아요",
            "\ufeff좋아\u2060",
            "\u3164",
            "\u200b\ufeff\u2060\u200c\u200d",
            "ᅟᅠ\uffa0",
            " a\t\n b\x01c\u00a0d\ufffde ",
            None,
            "",
        ]
    )
    assert got == [NFC[0], "ABC ガ", "좋아요", "좋아", "", "", "", "a bc d e", None, ""]


def test_canonical_keeps_the_array_type_and_leaves_the_tokenizer_only_its_nfkc_of_jamo():
    import os

    from tokenizers import Tokenizer

    from emopulse import model

    arr = pa.array(["a\u200bb", None, "ｶ"], pa.large_string())
    out = canonical(arr)
    assert out.type == pa.large_string() and out.to_pylist() == ["ab", None, "カ"]
    assert canonical(pa.chunked_array([["x"], ["ｙ"]])).to_pylist() == ["x", "y"]
    assert canonical(pa.array(["ａ", "b", "ａ"]).dictionary_encode()).to_pylist() == ["a", "b", "a"]
    norm = Tokenizer.from_file(os.path.join(model.path(), "tokenizer.json")).normalizer
    odd = [
        "\u1680a\u2028b\u2029\u2581c\x7f\x8f",
        "x\u200e\u200fy",
        "ﾊﾝｸﾞﾙ　full　ｗｉｄｔｈ",
        "\u3000\u3000a",
        "ㅋㅋ ㅠㅠ ＡＢ",
        "ㅎ\u200b히",
    ]
    for text in canonical_list(odd):
        assert norm.normalize_str(text) == unicodedata.normalize("NFKC", text)


def test_compatibility_jamo_stay_as_typed_and_half_width_jamo_become_them():
    # NFKC would give conjoining jamo and compose "ㅋㅠ" into "큐"; the n-gram vocabulary holds ㅋ / ㅠ
    assert canonical_list(["개웃곀ㅋㅋㅠㅠ", "ＡＢ ㅋㅋ ﾡﾡ", "ﾡﾧ", "ㅋ\u200bㅠ"]) == [
        "개웃곀ㅋㅋㅠㅠ",
        "AB ㅋㅋ ㄱㄱ",
        "ㄱㄷ",
        "ㅋㅠ",
    ]


@pytest.fixture(scope="module")
def clf():
    from emopulse import Classifier

    return Classifier()


def _probs(table):
    return np.array(table.select([c for c in table.column_names if c.startswith("p_")]))


def test_nfd_and_nfc_give_identical_probabilities_through_the_default_model(clf):
    nfc = clf.predict(NFC)
    nfd = clf.predict([unicodedata.normalize("NFD", t) for t in NFC])
    np.testing.assert_array_equal(_probs(nfc), _probs(nfd))
    assert nfc.column("label").to_pylist() == nfd.column("label").to_pylist()
    assert nfd.column("status").to_pylist() == ["ok"] * 4


def test_invisible_only_texts_are_empty_and_a_zero_width_space_changes_nothing(clf):
    out = clf.predict(
        [
            "\u200b",
            "\ufeff\u2060",
            "\u3164\u3164",
            "\u200b \u200c\n\u200d",
            "정말 최\u200b고예요",
            "\ufeff정말 최고예요",
            "정말 최고예요",
        ]
    )
    assert out.column("status").to_pylist() == ["empty"] * 4 + ["ok"] * 3
    assert out.column("label").to_pylist()[:4] == [None] * 4
    p = _probs(out)
    np.testing.assert_array_equal(p[4], p[6])
    np.testing.assert_array_equal(p[5], p[6])


def test_full_width_and_half_width_forms_read_as_their_plain_forms(clf):
    out = clf.predict(["ＧＯＯＤ 영화 ㅋㅋ", "GOOD 영화 ㅋㅋ", "ﾟ정말　최고예요", "ﾟ정말 최고예요"])
    p = _probs(out)
    np.testing.assert_array_equal(p[0], p[1])
    np.testing.assert_array_equal(p[2], p[3])


def test_the_ngram_member_is_fit_on_canonical_text():
    from emopulse.train.ensemble import fit_ngram

    texts = [unicodedata.normalize("NFD", t) for t in NFC] * 3 + ["좋\u200b아요"] * 3
    model = fit_ngram(
        texts,
        ["happiness", "anger", "neutral", "sadness"] * 3 + ["happiness"] * 3,
        ["anger", "sadness", "happiness", "neutral"],
    )
    assert all(unicodedata.is_normalized("NFC", g) for g in model.vocab)
    assert not any("\u200b" in g for g in model.vocab) and " 좋아" in model.vocab


def test_two_hundred_real_comments_in_nfd_get_the_labels_of_their_nfc_form(clf):
    # issue 22: 138 of 208 real reviews flipped label in NFD before the canonical text
    from tests.conftest import comments

    texts = [t for t in comments(240, offset=3000).column("text").to_pylist() if t and t.strip()][:200]
    nfc = clf.predict([unicodedata.normalize("NFC", t) for t in texts])
    nfd = clf.predict([unicodedata.normalize("NFD", t) for t in texts])
    assert nfc.column("label").to_pylist() == nfd.column("label").to_pylist()
    np.testing.assert_allclose(_probs(nfc), _probs(nfd), atol=1e-6)
