from __future__ import annotations

from dataclasses import dataclass, field

from ..core.schema import LABELS


@dataclass
class TrainArgs:
    data: str                               # Parquet with text and label
    base_model: str                         # hub name or local HF dir (backbone or classifier)
    output: str                             # the checkpoint directory to write
    eval: str | None = None                 # held-out Parquet; else a stratified split of data
    eval_fraction: float = 0.1
    text_col: str = "text"
    label_col: str = "label"
    labels: list[str] = field(default_factory=lambda: list(LABELS))
    epochs: float = 3.0
    lr: float = 5e-5
    batch_size: int = 32
    max_length: int = 128
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    seed: int = 42
    class_weights: bool = True              # inverse-frequency loss weights (sadness is rare)
    patience: int = 2                       # early stopping on validation macro-F1 (evaluations)
    evals_per_epoch: int = 2
    max_steps: int = -1                     # cap, for quick runs
    max_train_rows: int | None = None       # subsample the training split, for quick runs
    fast: bool = True                       # CPU: length-grouped batches, bf16 autocast, fused AdamW
    freeze_embeddings: bool = False
    init_from: str | None = None            # further transfer: continue from a fine-tuned classifier
    mix_data: str | None = None             # original data mixed into --data (further transfer)
    mix_ratio: float = 1.0                  # rows of mix_data per row of data
    min_confidence: float | None = None     # drop rows of data whose `confidence` is lower
    # source-aware training: validation (early stopping) on the native rows only, native rows
    # repeated native_oversample times in training (translated rows outnumber them 16:1)
    native_source: str | None = None        # e.g. "kote_val"; needs source_col in the data
    source_col: str = "source"
    native_oversample: float = 1.0
    trust_remote_code: bool = False
    quiet: bool = False
