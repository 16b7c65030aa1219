from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LabelArgs:
    inputs: list[str]                        # Parquet files, dirs or globs
    output: str                              # output directory (parts, manifest, summary)
    model: str                               # HF dir / hub name (vllm, transformers) or served model name (openai)
    backend: str = "vllm"                    # vllm | openai | transformers
    base_url: str | None = None              # openai: e.g. http://127.0.0.1:8000
    api_key: str | None = None
    tokenizer: str | None = None             # default: the model's own
    text_col: str = "text"
    id_col: str | None = None
    keep_cols: list[str] = field(default_factory=list)
    sample: int | None = None                # label a seeded random sample of N rows
    seed: int = 0
    prompt: str | None = None                # JSON prompt file (instruction, examples)
    rows_per_part: int = 2000
    batch_size: int = 64                     # prompts per backend call
    max_concurrency: int = 16                # openai: requests in flight
    retries: int = 4                         # openai
    max_model_len: int = 2048
    enforce_eager: bool = False              # vllm: skip graph capture / compile (fast start)
    cascade: str | None = None               # a classifier bundle that answers confident rows first
    threshold: float = 0.8
    resume: bool = False
    overwrite: bool = False
    skip_bad_files: bool = False
    progress: bool | None = None
