"""export: an HF classifier checkpoint -> an optimized ONNX bundle that passed an accuracy gate."""
from .args import ExportArgs
from .run import run

__all__ = ["ExportArgs", "run"]
