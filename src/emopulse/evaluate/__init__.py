"""`emopulse evaluate`: a model's quality on labelled comments — accuracy, macro-F1, per-class
precision/recall/F1, confusion matrix and calibration (ECE, reliability diagram); and the behavioural
test suite, pass rate per capability (`behaviour()`, `--suite behaviour`)."""

from ..core.callable_module import make_callable
from .run import EvaluateArgs, run
from .suite import behaviour, load_suite, markdown_table

make_callable(__name__, run, EvaluateArgs)

__all__ = ["EvaluateArgs", "behaviour", "load_suite", "markdown_table", "run"]
