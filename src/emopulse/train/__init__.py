"""train: fine-tuning, Optuna search, backbone comparison, further transfer, offline backbone."""
from .args import TrainArgs


def run(args: TrainArgs) -> dict:
    from .trainer import fine_tune
    return fine_tune(args)


__all__ = ["TrainArgs", "run"]
