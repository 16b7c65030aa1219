"""`emopulse evaluate`: a model's quality on labelled comments — accuracy, macro-F1, per-class
precision/recall/F1, confusion matrix and calibration (ECE, reliability diagram)."""

from ..core.callable_module import make_callable
from .run import EvaluateArgs, run

make_callable(__name__, run, EvaluateArgs)

__all__ = ["EvaluateArgs", "run"]
