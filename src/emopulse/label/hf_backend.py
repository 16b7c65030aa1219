"""transformers on the CPU, for small jobs and tests. Generation is greedy and constrained the way
vLLM's choice constraint is — only tokens that keep the text a prefix of some label, and
end-of-sequence once it is a whole label — so both pick the same label."""

from __future__ import annotations

from .answers import Answer, continuation_tokens, max_answer_tokens, prefix_tokens


def check_safetensors(model: str) -> None:
    """A local checkpoint must hold safetensors weights: a pickled one (.bin / .pt / .pth only) can run
    code when loaded, and emopulse loads no pickled weights (BundleError, exit 12)."""
    import os

    from ..core.errors import BundleError

    if not os.path.isdir(model):
        return  # a hub name: use_safetensors=True refuses pickles there
    files = os.listdir(model)
    if not any(f.endswith(".safetensors") for f in files):
        pickled = sorted(f for f in files if f.endswith((".bin", ".pt", ".pth", ".pkl", ".ckpt")))
        raise BundleError(
            f"{model}: no safetensors weights"
            + (f" (only pickled {', '.join(pickled[:3])})" if pickled else "")
            + "; emopulse loads no pickled weights: convert the checkpoint "
            "to safetensors (model.save_pretrained(dir, safe_serialization=True))"
        )


class HFBackend:
    name = "transformers"

    def __init__(self, model: str, labels, tokenizer: str | None = None, batch_size: int = 16):
        check_safetensors(model)
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.labels = list(labels)
        self.tokenizer = AutoTokenizer.from_pretrained(tokenizer or model)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32, use_safetensors=True).eval()
        self.batch_size = batch_size
        self.vocab = self.tokenizer.get_vocab()
        self.prefixes = prefix_tokens(self.tokenizer, self.labels)
        self.eos = self.tokenizer.eos_token_id

    def _allowed(self, generated: str) -> list[int]:
        ok = continuation_tokens(self.vocab, self.labels, generated)
        return ok + [self.eos] if generated in self.labels else (ok or [self.eos])

    def __call__(self, prompts: list[str]) -> list[Answer]:
        out = []
        for i in range(0, len(prompts), self.batch_size):
            out += self._batch(prompts[i : i + self.batch_size])
        return out

    def _batch(self, prompts: list[str]) -> list[Answer]:
        torch = self.torch
        enc = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        start = enc["input_ids"].shape[1]

        def allowed(batch_id, input_ids):
            return self._allowed(self.tokenizer.decode(input_ids[start:], skip_special_tokens=True))

        with torch.inference_mode():
            gen = self.model.generate(
                **enc,
                do_sample=False,
                max_new_tokens=max_answer_tokens(self.labels),
                prefix_allowed_tokens_fn=allowed,
                output_logits=True,
                return_dict_in_generate=True,
                pad_token_id=self.tokenizer.pad_token_id,
                eos_token_id=self.eos,
            )
        first = torch.log_softmax(gen.logits[0].float(), dim=-1)
        ids_of_interest = sorted({t for ts in self.prefixes.values() for t in ts})
        answers = []
        for r in range(len(prompts)):
            ids = gen.sequences[r, start:].tolist()
            finished = self.eos in ids
            ids = ids[: ids.index(self.eos)] if finished else ids
            lps = {t: float(first[r, t]) for t in ids_of_interest}
            answers.append(
                Answer(
                    self.tokenizer.decode(ids, skip_special_tokens=True),
                    "stop" if finished else "length",
                    lps,
                    int(enc["attention_mask"][r].sum()),
                    len(ids) + int(finished),
                )
            )
        return answers
