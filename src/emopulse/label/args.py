from __future__ import annotations

from dataclasses import dataclass

from ..core.options import opt
from ..core.stream_args import StreamArgs


@dataclass(kw_only=True)
class LabelArgs(StreamArgs):
    """`emopulse label`: stream comments through an instruction LLM (vLLM offline, an OpenAI-compatible
    server, or transformers), the answer constrained to the labels, with per-label probabilities and
    a confidence; exactly-once parts like serve-batch. Runs in the LLM environment (make install-llm)."""

    model: str = opt(
        help="HF dir, hub name or local .gguf file (vllm, transformers; e.g. google/gemma-2-9b-it; a .gguf is "
        "dequantized once into an HF dir) or the served model name (openai)"
    )
    backend: str = opt("vllm", "engine", choices=["vllm", "openai", "transformers"])
    base_url: str | None = opt(None, "openai: server URL, e.g. http://127.0.0.1:8000")
    api_key: str | None = opt(None, "openai: bearer token")
    tokenizer: str | None = opt(None, "tokenizer dir (default: the model's)")
    sample: int | None = opt(
        None, "label a seeded random sample of at most N rows", flag="--max-rows", aliases=["--sample"]
    )
    seed: int = opt(0, "seed of --max-rows' sample")
    prompt: str | None = opt(None, "JSON prompt file: instruction, examples, labels")
    rows_per_part: int = opt(2000, "rows per output part (the unit of resume)")
    batch_size: int = opt(64, "prompts per engine call")
    max_concurrency: int = opt(16, "openai: requests in flight")
    retries: int = opt(4, "openai: retries with backoff")
    max_model_len: int = opt(2048, "context length; longer comments are truncated to fit (counted)")
    enforce_eager: bool = opt(False, "vllm: no graph capture (fast start, CPU tests)")
    cascade: str | None = opt(None, "classifier bundle that answers confident rows first")
    threshold: float = opt(0.8, "cascade: top probability needed")
    engine: str = opt(
        "local", "local, or Ray Data LLM (vLLM engine replicas on a GPU cluster)", choices=["local", "ray"]
    )
    address: str | None = opt(None, "ray: cluster address")
    workers: int = opt(1, "ray: engine replicas")
    gpus_per_worker: float = opt(1.0, "ray: GPUs per replica")

    def __post_init__(self):
        from ..core.errors import EmopulseError

        self.check_stream()
        for name in ("rows_per_part", "batch_size", "max_concurrency", "max_model_len", "workers"):
            if getattr(self, name) < 1:
                raise EmopulseError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        if not 0 <= self.threshold <= 1:
            raise EmopulseError(f"--threshold must be in [0, 1], got {self.threshold}")
