"""`emopulse evaluate`: a model's quality on labelled comments — accuracy, macro-F1, per-class
precision/recall/F1, confusion matrix and calibration (ECE, reliability diagram)."""
from .run import EvaluateArgs, run

__all__ = ["EvaluateArgs", "run"]
