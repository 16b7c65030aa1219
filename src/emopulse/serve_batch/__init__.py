"""serve-batch: Parquet in, predictions out, as fast as the hardware allows."""
from .args import ServeBatchArgs
from .engine import run

from ..core.callable_module import make_callable  # noqa: E402

make_callable(__name__, run, ServeBatchArgs)

__all__ = ["ServeBatchArgs", "run"]
