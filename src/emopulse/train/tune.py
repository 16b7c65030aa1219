"""`emopulse tune`: Optuna TPE over the fine-tuning hyper-parameters, pruned on validation macro-F1,
stored in SQLite so an interrupted study resumes; the best trial is retrained as the final model."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, replace

from ..core.options import opt
from .args import TrainArgs
from .trainer import fine_tune

DEFAULT_SPACE = {
    "lr": (1e-5, 1e-4),
    "batch_size": [16, 32, 64],
    "epochs": (1, 4),
    "warmup_ratio": (0.0, 0.2),
    "weight_decay": (0.0, 0.1),
}


@dataclass(kw_only=True)
class TuneArgs:
    """`emopulse tune`: search lr, batch size, epochs, warmup and weight decay with Optuna TPE; prune on
    validation macro-F1; resume from the SQLite storage; retrain the best trial into OUTPUT/best."""

    train: TrainArgs | None = opt(None, cli=False)  # the base settings; output = the study directory
    trials: int = opt(10, "total trials in the study (resumed trials count)")
    storage: str | None = opt(None, "Optuna storage URL (default sqlite:///OUTPUT/study.db)")
    study: str = opt("emopulse", "study name")
    lr_range: list[float] | None = opt(None, "learning-rate range, e.g. 1e-5,1e-4")
    batch_sizes: list[int] | None = opt(None, "batch-size choices, e.g. 16,32")
    epochs_range: list[int] | None = opt(None, "epochs range, e.g. 1,4")
    retrain_best: bool = opt(True, "retrain the best trial into OUTPUT/best")
    space: dict = opt(cli=False, factory=lambda: dict(DEFAULT_SPACE))

    def __post_init__(self):
        from ..core.errors import EmopulseError

        for key, value in (("lr", self.lr_range), ("batch_size", self.batch_sizes), ("epochs", self.epochs_range)):
            if value:
                self.space[key] = tuple(value) if key != "batch_size" else list(value)
        if len(self.space["lr"]) != 2 or len(self.space["epochs"]) != 2 or self.trials < 1:
            raise EmopulseError("--lr-range and --epochs-range take two numbers (low,high); --trials >= 1")


def _suggest(trial, space: dict) -> dict:
    p = {
        "lr": trial.suggest_float("lr", *space["lr"], log=True),
        "batch_size": trial.suggest_categorical("batch_size", space["batch_size"]),
        "epochs": trial.suggest_int("epochs", *space["epochs"]),
        "warmup_ratio": trial.suggest_float("warmup_ratio", *space["warmup_ratio"]),
        "weight_decay": trial.suggest_float("weight_decay", *space["weight_decay"]),
    }
    return p


def pruning_callback(trial):
    import optuna
    from transformers import TrainerCallback

    class Prune(TrainerCallback):
        def on_evaluate(self, args, state, control, metrics=None, **kw):
            trial.report(metrics["eval_macro_f1"], step=state.global_step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"macro-F1 {metrics['eval_macro_f1']:.4f} at step {state.global_step}")

    return Prune()


def run(args: TuneArgs) -> dict:
    import optuna

    out = args.train.output
    os.makedirs(out, exist_ok=True)
    storage = args.storage or f"sqlite:///{os.path.abspath(os.path.join(out, 'study.db'))}"
    study = optuna.create_study(
        study_name=args.study,
        storage=storage,
        direction="maximize",
        load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=args.train.seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2),
    )
    # A trial still RUNNING in storage belongs to a run that was killed: mark it failed, go on.
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study._storage.set_trial_state_values(t._trial_id, state=optuna.trial.TrialState.FAIL)
    done_states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    done_before = len(study.get_trials(deepcopy=False, states=done_states))

    def objective(trial):
        params = _suggest(trial, args.space)
        targs = replace(args.train, output=os.path.join(out, f"trial-{trial.number}"), **params)
        try:
            res = fine_tune(targs, callbacks=[pruning_callback(trial)], save=False)
        finally:
            shutil.rmtree(targs.output, ignore_errors=True)
        trial.set_user_attr("accuracy", res["validation"]["accuracy"])
        return res["validation"]["macro_f1"]

    study.optimize(objective, n_trials=max(0, args.trials - done_before), catch=())
    best = study.best_trial
    summary = {
        "study": args.study,
        "storage": storage,
        "trials_done_before": done_before,
        "trials": [
            {"number": t.number, "state": t.state.name, "value": t.value, "params": t.params} for t in study.trials
        ],
        "best": {"number": best.number, "macro_f1": best.value, "params": best.params},
    }
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(complete) >= 2:
        imp = optuna.importance.get_param_importances(study)
        summary["importance"] = imp
        importance_png(imp, os.path.join(out, "param_importance.png"))
    if args.retrain_best:
        final = replace(args.train, output=os.path.join(out, "best"), **best.params)
        summary["final"] = fine_tune(final)["validation"]
        summary["final_model"] = final.output
    with open(os.path.join(out, "tune.json"), "w") as f:
        json.dump(summary, f, indent=2, default=str)
    return summary


def importance_png(imp: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(imp)[::-1]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.barh(names, [imp[n] for n in names], color="#4c72b0")
    ax.set_xlabel("importance (fANOVA) for validation macro-F1")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
