"""Randomly initialised Gemma 3 causal LMs — tiny for tests, 270M-shaped for speed figures — with
a tokenizer trained locally on the bundled comments and a Gemma-style chat template (LLM
environment: transformers 5.x). vLLM's CPU attention needs a head size of at least 32."""

from __future__ import annotations

from ..core.schema import LABELS
from ..label.prompt import EXAMPLES, INSTRUCTION
from .shapes import bundled_texts

CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<start_of_turn>"
    "{{ 'model' if m['role'] == 'assistant' else m['role'] }}\n{{ m['content'] }}<end_of_turn>\n"
    "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)

SHAPES = {  # hidden, layers, heads, kv heads, head dim, intermediate, vocab (padded)
    "tiny": (64, 2, 2, 1, 32, 128, None),
    "270m": (640, 18, 4, 1, 256, 2048, 262144),
}


def build_tiny_gemma(out_dir: str, shape: str = "tiny", seed: int = 0) -> str:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, PreTrainedTokenizerFast

    specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = bundled_texts(3000) + [INSTRUCTION] + [e["text"] for e in EXAMPLES] + list(LABELS) * 50
    tok.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=3000,
            special_tokens=specials,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        ),
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<bos>",
        eos_token="<eos>",
        pad_token="<pad>",
        unk_token="<unk>",
        additional_special_tokens=["<start_of_turn>", "<end_of_turn>"],
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(out_dir)
    hidden, layers, heads, kv, head_dim, inter, vocab = SHAPES[shape]
    config = Gemma3TextConfig(
        vocab_size=vocab or len(fast),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv,
        head_dim=head_dim,
        intermediate_size=inter,
        max_position_embeddings=4096,
        sliding_window=512,
        pad_token_id=fast.pad_token_id,
        eos_token_id=fast.eos_token_id,
        bos_token_id=fast.bos_token_id,
        tie_word_embeddings=True,
    )
    config.architectures = ["Gemma3ForCausalLM"]
    torch.manual_seed(seed)
    Gemma3ForCausalLM(config).save_pretrained(out_dir, safe_serialization=True)
    return out_dir
