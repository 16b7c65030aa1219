"""A tiny RoBERTa emotion classifier built offline: a byte-level BPE tokenizer trained with
`tokenizers` on the bundled real Korean comments, and a randomly initialised 2-layer model."""
from __future__ import annotations

import pyarrow.parquet as pq

from emopulse import data
from emopulse.core.schema import LABELS


def korean_texts(n: int = 4000) -> list[str]:
    t = pq.read_table(data.path(data.COMMENTS), columns=["text"]).column("text").to_pylist()
    lab = pq.read_table(data.path(data.LABELLED), columns=["text"]).column("text").to_pylist()
    return [x for x in (t[:n] + lab[:n]) if x]


def build_tiny_model(out_dir: str, seed: int = 0, hidden: int = 32, layers: int = 2,
                     max_positions: int = 66) -> str:
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from tokenizers.processors import RobertaProcessing
    from transformers import RobertaConfig, RobertaForSequenceClassification, RobertaTokenizerFast

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(korean_texts(), vocab_size=1500, min_frequency=2, special_tokens=specials,
                            show_progress=False)
    backend = bpe._tokenizer
    backend.post_processor = RobertaProcessing(("</s>", backend.token_to_id("</s>")),
                                               ("<s>", backend.token_to_id("<s>")))
    tok = RobertaTokenizerFast(tokenizer_object=backend, bos_token="<s>", eos_token="</s>",
                               sep_token="</s>", cls_token="<s>", unk_token="<unk>",
                               pad_token="<pad>", mask_token="<mask>",
                               model_max_length=max_positions - 2)
    tok.save_pretrained(out_dir)
    config = RobertaConfig(
        vocab_size=len(tok), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=2,
        intermediate_size=hidden * 2, max_position_embeddings=max_positions, pad_token_id=1,
        bos_token_id=0, eos_token_id=2, num_labels=len(LABELS), initializer_range=0.3,
        id2label=dict(enumerate(LABELS)), label2id={lab: i for i, lab in enumerate(LABELS)})
    torch.manual_seed(seed)
    RobertaForSequenceClassification(config).save_pretrained(out_dir, safe_serialization=True)
    return out_dir


def export_raw_onnx(model_dir: str, out_dir: str) -> str:
    """A plain optimum export (model.onnx + tokenizer + config), as before the export stage."""
    from optimum.exporters.onnx import main_export
    main_export(model_dir, out_dir, task="text-classification", do_validation=False)
    return f"{out_dir}/model.onnx"
