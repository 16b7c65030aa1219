"""export: an HF classifier checkpoint -> an optimized ONNX bundle that passed an accuracy gate."""

from ..core.callable_module import make_callable
from .args import ExportArgs
from .run import run

make_callable(__name__, run, ExportArgs)

__all__ = ["ExportArgs", "run"]
