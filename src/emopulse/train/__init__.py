"""train: fine-tuning, Optuna search, backbone comparison, further transfer, offline backbone."""

from .args import TrainArgs


def run(args: TrainArgs) -> dict:
    from .trainer import fine_tune

    return fine_tune(args)


from ..core.callable_module import make_callable  # noqa: E402

make_callable(__name__, run, TrainArgs)

__all__ = ["TrainArgs", "run"]
