"""serve-batch: Parquet in, predictions out, as fast as the hardware allows."""
from .args import ServeBatchArgs
from .engine import run

__all__ = ["ServeBatchArgs", "run"]
