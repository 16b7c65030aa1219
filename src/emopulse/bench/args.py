from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BenchArgs:
    model: str                      # checkpoint dir (all variants) or bundle (its own + checkpoint ones)
    data: str                       # Parquet with texts
    output: str = "bench-out"
    text_col: str = "text"
    rows: int = 2000                # rows drawn (fixed seed) from the data
    batch_sizes: list[int] = field(default_factory=lambda: [1, 8, 32, 128])
    variants: list[str] | None = None   # default: every variant for the device
    repeat: int = 3                 # interleaved rounds (A, B, C, A, B, C, ...)
    max_seconds: float = 30.0       # per variant, batch size and round: stop after this
    chunk_rows: int = 512           # sorted variants sort inside chunks of this many rows
    device: str = "cpu"             # cpu | cuda
    threads: int = 0                # 0: all cores
    max_length: int = 256
