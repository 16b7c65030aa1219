"""HTTP to an OpenAI-compatible server such as `python -m vllm.entrypoints.openai.api_server`:
/v1/completions with the same prompt, `structured_outputs: {choice: labels}` and
`logprob_token_ids`, bounded concurrency and retries with backoff."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from .answers import Answer, max_answer_tokens, prefix_tokens


class OpenAIBackend:
    name = "openai"

    def __init__(
        self,
        model: str,
        labels,
        base_url: str,
        tokenizer: str,
        api_key: str | None = None,
        max_concurrency: int = 16,
        retries: int = 4,
        timeout: float = 120.0,
    ):
        from transformers import AutoTokenizer

        self.labels = list(labels)
        self.model, self.url = model, base_url.rstrip("/") + "/v1/completions"
        self.api_key, self.retries, self.timeout = api_key, retries, timeout
        self.tokenizer = AutoTokenizer.from_pretrained(tokenizer)
        self.prefixes = prefix_tokens(self.tokenizer, self.labels)
        self.ids = sorted({t for ts in self.prefixes.values() for t in ts})
        self.max_tokens = max_answer_tokens(self.labels)
        self.pool = ThreadPoolExecutor(max_concurrency, thread_name_prefix="emopulse-http")

    def _post(self, prompt: str) -> Answer:
        body = json.dumps(
            {
                "model": self.model,
                "prompt": prompt,
                "max_tokens": self.max_tokens,
                "temperature": 0.0,
                "structured_outputs": {"choice": self.labels},
                "logprobs": len(self.ids),
                "logprob_token_ids": self.ids,
                "return_tokens_as_token_ids": True,
            }
        ).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last = None
        for attempt in range(self.retries + 1):
            try:
                req = urllib.request.Request(self.url, data=body, headers=headers)
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    data = json.load(resp)
                return self._parse(data)
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}: {exc.read()[:300].decode(errors='replace')}"
                if exc.code < 500 and exc.code != 429:
                    break  # a bad request does not get better by retrying
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(min(8.0, 0.5 * 2**attempt))
        return Answer(None, None, None, error=last)

    def _parse(self, data: dict) -> Answer:
        c = data["choices"][0]
        top = ((c.get("logprobs") or {}).get("top_logprobs") or [None])[0] or {}
        lps = {int(k.split(":", 1)[1]): v for k, v in top.items() if k.startswith("token_id:")}
        usage = data.get("usage") or {}
        return Answer(
            c.get("text"), c.get("finish_reason"), lps, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
        )

    def __call__(self, prompts: list[str]) -> list[Answer]:
        return list(self.pool.map(self._post, prompts))
