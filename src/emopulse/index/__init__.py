"""index: daily / weekly / monthly emotion distribution and a mental-health index, with bands."""
from .args import IndexArgs
from .run import run

__all__ = ["IndexArgs", "run"]
