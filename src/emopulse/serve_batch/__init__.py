"""serve-batch: Parquet in, predictions out, as fast as the hardware allows."""

from ..core.callable_module import make_callable
from .args import ServeBatchArgs
from .engine import run

make_callable(__name__, run, ServeBatchArgs)

__all__ = ["ServeBatchArgs", "run"]
