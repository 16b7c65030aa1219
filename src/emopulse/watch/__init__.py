"""watch: near-real-time monitoring — new comment files in, the index, dashboard and alerts updated."""
from .args import WatchArgs
from .run import run

from ..core.callable_module import make_callable  # noqa: E402

make_callable(__name__, run, WatchArgs)

__all__ = ["WatchArgs", "run"]
