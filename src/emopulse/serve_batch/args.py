from __future__ import annotations

from dataclasses import dataclass, field

# Measured on a 2-core Zen4 with a roberta-base-shaped int8 model: 2,048 padded tokens per batch
# ran ~18 % faster than 8,192 (activations stay in cache); GPUs want far larger batches.
AUTO_BATCH_TOKENS = {"cpu": 2048, "cuda": 32768}


def batch_tokens(args: "ServeBatchArgs") -> int:
    return args.max_batch_tokens or AUTO_BATCH_TOKENS["cuda" if args.device.startswith("cuda") else "cpu"]


@dataclass
class ServeBatchArgs:
    model: str | None                            # bundle dir, .onnx file, HF checkpoint dir; None: shipped model
    inputs: list[str]                            # Parquet files, directories or globs
    output: str                                  # output directory (a Parquet dataset)
    text_col: str = "text"
    id_col: str | None = None                    # None or absent: "<file>:<row>" ids
    keep_cols: list[str] = field(default_factory=list)
    workers: int = 1                             # processes, each with its own session
    threads: int = 0                             # intra-op threads per worker; 0 = cores / workers
    device: str = "cpu"                          # cpu | cuda
    dtype: str = "fp16"                          # torch on CUDA: fp16 | bf16 | fp32
    max_batch_tokens: int = 0                    # padded tokens (rows x longest) per batch; 0 = auto
    max_batch_rows: int = 256
    max_length: int = 256                        # truncation, clipped to what the model allows
    rows_per_part: int = 10_000                  # output part size = sorting window = resume unit
    resume: bool = False
    overwrite: bool = False
    skip_bad_files: bool = False
    progress: bool | None = None                 # None: only on a terminal
    engine: str = "local"                        # local | ray
    address: str | None = None                   # ray: cluster address
    cpus_per_worker: float = 1.0                 # ray
    gpus_per_worker: float = 0.0                 # ray

    def __post_init__(self):
        from ..core.bundle import resolve_model
        from ..core.errors import EmopulseError
        from ..core.schema import check_keep_cols
        positive = {"rows_per_part": 1, "workers": 1, "max_batch_rows": 1, "max_length": 2}
        for name, least in positive.items():
            if not isinstance(getattr(self, name), int) or getattr(self, name) < least:
                raise EmopulseError(f"--{name.replace('_', '-')} must be an integer >= {least}, got {getattr(self, name)!r}")
        for name in ("threads", "max_batch_tokens"):
            if getattr(self, name) < 0:
                raise EmopulseError(f"--{name.replace('_', '-')} must be >= 0 (0 = automatic), got {getattr(self, name)}")
        if self.cpus_per_worker <= 0 or self.gpus_per_worker < 0:
            raise EmopulseError("--cpus-per-worker must be > 0 and --gpus-per-worker >= 0")
        if self.resume and self.overwrite:
            raise EmopulseError("--resume and --overwrite exclude each other")
        if self.engine not in ("local", "ray"):
            raise EmopulseError(f"--engine must be local or ray, got {self.engine!r}")
        if not self.inputs:
            raise EmopulseError("no --input given")
        check_keep_cols(self.keep_cols, self.id_col, self.text_col)
        self.model = resolve_model(self.model)
