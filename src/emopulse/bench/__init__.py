"""bench: latency per batch size and throughput of every variant, interleaved, in one run."""
from .args import BenchArgs
from .measure import run

__all__ = ["BenchArgs", "run"]
