"""`emopulse evaluate`: a model's quality on labelled comments — accuracy, macro-F1, per-class
precision/recall/F1, confusion matrix and calibration (ECE, reliability diagram)."""
from .run import EvaluateArgs, run

from ..core.callable_module import make_callable  # noqa: E402

make_callable(__name__, run, EvaluateArgs)

__all__ = ["EvaluateArgs", "run"]
