"""export: an HF classifier checkpoint -> an optimized ONNX bundle that passed an accuracy gate."""
from .args import ExportArgs
from .run import run

from ..core.callable_module import make_callable  # noqa: E402

make_callable(__name__, run, ExportArgs)

__all__ = ["ExportArgs", "run"]
