from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ExportArgs:
    model: str                           # fine-tuned HF sequence-classification checkpoint dir
    output: str                          # bundle directory to write
    precision: str = "auto"              # fp32 | optimized | int8 | fp16 | auto
    target: str = "cpu"                  # cpu | cuda
    calibration: str | None = None       # Parquet with texts (and labels) for the gate
    text_col: str = "text"
    label_col: str | None = "label"      # used when the gate sample has it
    gate_rows: int = 512
    min_agreement: float = 0.99          # argmax agreement with PyTorch fp32
    max_f1_drop: float = 0.01            # macro-F1 drop allowed when labels are known
    max_abs_diff: float | None = None    # optional bound on the largest probability difference
    min_macro_f1: float | None = None    # absolute floor on the gate sample (needs its labels)
    max_length: int = 256
    opset: int | None = None
    force: bool = False                  # mark ready even if the gate refuses
    overwrite: bool = False
