"""watch: near-real-time monitoring — new comment files in, the index, dashboard and alerts updated."""

from ..core.callable_module import make_callable
from .args import WatchArgs
from .run import run

make_callable(__name__, run, WatchArgs)

__all__ = ["WatchArgs", "run"]
