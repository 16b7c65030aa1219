"""bench: latency per batch size and throughput of every variant, interleaved, in one run."""

from ..core.callable_module import make_callable
from .args import BenchArgs
from .measure import run

make_callable(__name__, run, BenchArgs)

__all__ = ["BenchArgs", "run"]
