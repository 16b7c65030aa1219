"""Randomly initialised checkpoints of a known shape, for speed measurements and tests.

The tokenizer is a byte-level BPE trained with `tokenizers` on the bundled Korean comments, so
token counts are realistic without any model hub. Speed depends on the shape, not the weights.
"""

from __future__ import annotations

import pyarrow.parquet as pq

from .. import data
from ..core.schema import LABELS

SHAPES = {
    # name: (hidden, layers, heads, intermediate, vocab, max_positions)
    "tiny": (32, 2, 2, 64, 1500, 66),
    "roberta-base": (768, 12, 12, 3072, 32000, 514),
    "roberta-large": (1024, 24, 16, 4096, 32000, 514),
}


def bundled_texts(n: int = 20000) -> list[str]:
    t = pq.read_table(data.path(data.COMMENTS), columns=["text"]).column("text").to_pylist()
    lab = pq.read_table(data.path(data.LABELLED), columns=["text"]).column("text").to_pylist()
    return [x for x in (t[:n] + lab[:n]) if x]


def build_random_checkpoint(
    out_dir: str, shape: str = "tiny", seed: int = 0, initializer_range: float | None = None
) -> str:
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from tokenizers.processors import RobertaProcessing
    from transformers import RobertaConfig, RobertaForSequenceClassification, RobertaTokenizerFast

    hidden, layers, heads, inter, vocab, positions = SHAPES[shape]
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        bundled_texts(4000 if shape == "tiny" else 60000),
        vocab_size=vocab,
        min_frequency=2,
        special_tokens=specials,
        show_progress=False,
    )
    backend = bpe._tokenizer
    backend.post_processor = RobertaProcessing(
        ("</s>", backend.token_to_id("</s>")), ("<s>", backend.token_to_id("<s>"))
    )
    tok = RobertaTokenizerFast(
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=positions - 2,
    )
    tok.save_pretrained(out_dir)
    config = RobertaConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=inter,
        max_position_embeddings=positions,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        num_labels=len(LABELS),
        # a wide init on the tiny shape gives probabilities far from uniform, so tests can compare labels
        initializer_range=initializer_range or (0.3 if shape == "tiny" else 0.02),
        id2label=dict(enumerate(LABELS)),
        label2id={lab: i for i, lab in enumerate(LABELS)},
    )
    torch.manual_seed(seed)
    RobertaForSequenceClassification(config).save_pretrained(out_dir, safe_serialization=True)
    return out_dir
