"""index: daily / weekly / monthly emotion distribution and a mental-health index, with bands."""

from ..core.callable_module import make_callable
from .args import IndexArgs
from .run import run

make_callable(__name__, run, IndexArgs)

__all__ = ["IndexArgs", "run"]
