from __future__ import annotations

from dataclasses import dataclass

from ..core.options import AUTO_MAX_LENGTH, opt
from ..core.stream_args import StreamArgs

# Measured on a 2-core Zen4 with a roberta-base-shaped int8 model: 2,048 padded tokens per batch
# ran ~18 % faster than 8,192 (activations stay in cache); GPUs want far larger batches.
AUTO_BATCH_TOKENS = {"cpu": 2048, "cuda": 32768}


def batch_tokens(args: ServeBatchArgs) -> int:
    return args.max_batch_tokens or AUTO_BATCH_TOKENS["cuda" if args.device.startswith("cuda") else "cpu"]


@dataclass(kw_only=True)
class ServeBatchArgs(StreamArgs):
    """`emopulse serve-batch`: stream comments through a model bundle (or an HF checkpoint) and write
    predictions as Parquet parts with a manifest; resumable and bounded in memory."""

    model: str | None = opt(
        None,
        "bundle dir from `emopulse export`, an .onnx file next to its tokenizer/"
        "config, or an HF checkpoint dir (PyTorch backend); default: the shipped model",
    )
    workers: int = opt(
        1, "worker processes, each with its own model session (on CUDA: one per GPU); output is identical for any count"
    )
    threads: int = opt(0, "intra-op threads per worker; 0: automatic", auto="cores / workers")
    host_workers: int = opt(
        0,
        "host threads for preparation and assembly (tokenizer, the head's n-gram member); "
        "output is identical for any count; 0: automatic",
        auto="all cores",
    )
    device: str = opt("cpu", "cpu or cuda (CUDA/TensorRT EP for ONNX, fp16 torch)", choices=["cpu", "cuda"])
    dtype: str = opt("fp16", "torch backend precision on CUDA", choices=["fp16", "bf16", "fp32"])
    max_batch_tokens: int = opt(
        0, "padded-token budget per batch: rows x longest row; 0: automatic", auto="2048 on CPU, 32768 on CUDA"
    )
    max_batch_rows: int = opt(256, "row cap per batch")
    max_length: int = opt(
        0,
        "truncate texts to this many tokens, at most the model's own limit; truncated rows are flagged; 0: automatic",
        auto=AUTO_MAX_LENGTH,
    )
    rows_per_part: int = opt(10_000, "rows per output part: also the length-sorting window and the unit of resume")
    engine: str = opt("local", "local threads/processes, or Ray Data for a cluster", choices=["local", "ray"])
    address: str | None = opt(None, "ray: cluster address (auto, ray://host:10001)")
    cpus_per_worker: float = opt(1.0, "ray: CPUs per actor")
    gpus_per_worker: float = opt(0.0, "ray: GPUs per actor")

    def __post_init__(self):
        from ..core.bundle import resolve_model
        from ..core.errors import EmopulseError

        self.check_stream()
        positive = {"rows_per_part": 1, "workers": 1, "max_batch_rows": 1}
        for name, least in positive.items():
            if not isinstance(getattr(self, name), int) or getattr(self, name) < least:
                raise EmopulseError(
                    f"--{name.replace('_', '-')} must be an integer >= {least}, got {getattr(self, name)!r}"
                )
        if not isinstance(self.max_length, int) or self.max_length == 1 or self.max_length < 0:
            raise EmopulseError(
                f"--max-length must be 0 (the model's limit) or an integer >= 2, got {self.max_length!r}"
            )
        for name in ("threads", "max_batch_tokens", "host_workers"):
            if getattr(self, name) < 0:
                raise EmopulseError(
                    f"--{name.replace('_', '-')} must be >= 0 (0 = automatic), got {getattr(self, name)}"
                )
        if self.cpus_per_worker <= 0 or self.gpus_per_worker < 0:
            raise EmopulseError("--cpus-per-worker must be > 0 and --gpus-per-worker >= 0")
        if self.engine not in ("local", "ray"):
            raise EmopulseError(f"--engine must be local or ray, got {self.engine!r}")
        self.model = resolve_model(self.model)
