"""Trimming the vocabulary to the pieces a corpus uses leaves the model's outputs unchanged."""

import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emopulse.core.errors import EmopulseError
from emopulse.core.schema import LABELS
from emopulse.testing.shapes import bundled_texts
from emopulse.train.trim import trim


def build_unigram_bert(out_dir: str) -> str:
    """A tiny BERT classifier with a SentencePiece-style Unigram tokenizer (as XLM-R / e5 have)."""
    import torch
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors, trainers
    from tokenizers.models import Unigram
    from transformers import BertConfig, BertForSequenceClassification, XLMRobertaTokenizerFast

    tok = Tokenizer(Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    tok.train_from_iterator(
        bundled_texts(3000),
        trainers.UnigramTrainer(vocab_size=3000, special_tokens=specials, unk_token="<unk>", show_progress=False),
    )
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    fast = XLMRobertaTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<unk>",
    )
    fast.save_pretrained(out_dir)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        pad_token_id=1,
        initializer_range=0.3,
        num_labels=4,
        id2label=dict(enumerate(LABELS)),
        label2id={x: i for i, x in enumerate(LABELS)},
    )
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(out_dir, safe_serialization=True)
    return out_dir


def logits(model_dir, texts):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    with torch.inference_mode():
        return model(**tok(texts, padding=True, truncation=True, max_length=64, return_tensors="pt")).logits.numpy()


def test_trimmed_vocabulary_gives_identical_logits(tmp_path):
    full = build_unigram_bert(str(tmp_path / "full"))
    texts = bundled_texts(6000)[3000:3600]
    corpus = str(tmp_path / "corpus.parquet")
    pq.write_table(pa.table({"text": texts}), corpus)
    rep = trim(full, [corpus], str(tmp_path / "trim"))
    assert rep["pieces_after"] < rep["pieces_before"]
    cfg = json.load(open(tmp_path / "trim" / "config.json"))
    assert cfg["vocab_size"] == rep["pieces_after"]
    probe = texts[:64]
    np.testing.assert_array_equal(logits(str(tmp_path / "trim"), probe), logits(full, probe))
    # unseen text still tokenizes (into kept single characters), never crashes
    assert logits(str(tmp_path / "trim"), ["완전히 새로운 문장 xyz"]).shape == (1, 4)
    assert os.path.getsize(tmp_path / "trim" / "model.safetensors") < os.path.getsize(
        tmp_path / "full" / "model.safetensors"
    )


def test_trim_refuses_bpe_tokenizers(tiny_model, tmp_path):
    corpus = str(tmp_path / "c.parquet")
    pq.write_table(pa.table({"text": ["가나다"]}), corpus)
    with pytest.raises(EmopulseError, match="Unigram"):
        trim(tiny_model, [corpus], str(tmp_path / "out"))
