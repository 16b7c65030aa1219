from __future__ import annotations

from dataclasses import dataclass

from ..core.options import opt

PRECISIONS = ["fp32", "optimized", "int8", "int8-mixed", "int8-static", "int8-weights", "fp16", "auto"]


@dataclass(kw_only=True)
class ExportArgs:
    """`emopulse export`: a fine-tuned sequence-classification checkpoint -> an ONNX bundle (optimum;
    onnxruntime fallbacks), gated against the PyTorch fp32 model, with manifest.json."""

    model: str = opt(help="fine-tuned HF checkpoint dir (safetensors, id2label)")
    output: str = opt(help="bundle directory to write")
    precision: str = opt(
        "auto",
        "auto: the first that passes the gate among those whose outputs do not depend "
        "on batch composition (cpu: int8-weights (weight-only int8) > int8-static > optimized > "
        "fp32; cuda: fp16 > optimized > fp32); int8 / int8-mixed: dynamic int8, faster on CPUs "
        "with VNNI but a row's probabilities move with its batch-mates",
        choices=PRECISIONS,
    )
    device: str = opt("cpu", "where the bundle will run", choices=["cpu", "cuda"], aliases=["--target"])
    calibration: str | None = opt(
        None,
        "Parquet rows with texts (and labels) for the gate; default: the "
        "checkpoint's eval_sample.parquet, else the bundled labelled sample",
        flag="--input",
        aliases=["--calibration"],
    )
    static_method: str = opt(
        "minmax",
        "int8-static: how activation ranges are set from the gate rows",
        choices=["minmax", "percentile", "entropy"],
    )
    text_col: str = opt("text", "text column of --input")
    label_col: str | None = opt("label", "label column of --input (used when present)")
    gate_rows: int = opt(512, "rows in the gate sample")
    min_agreement: float = opt(0.99, "least argmax agreement with PyTorch fp32")
    max_f1_drop: float = opt(0.01, "largest macro-F1 drop (when labels are known)")
    max_abs_diff: float | None = opt(None, "largest probability difference (off by default)")
    min_macro_f1: float | None = opt(
        None,
        "absolute floor: refuse a bundle whose macro-F1 on the labelled gate "
        "sample is lower (off by default; the relative checks alone pass a random model)",
    )
    max_length: int = opt(256, "max tokens the bundle serves")
    opset: int | None = opt(None, "ONNX opset (default: optimum's choice)")
    force: bool = opt(False, "mark the bundle ready even if the gate refuses")
    overwrite: bool = opt(False, "replace an existing bundle")
    progress: bool | None = opt(None, "a bar over the export steps (default: on a terminal)")

    def __post_init__(self):
        from ..core.errors import EmopulseError

        if self.precision not in PRECISIONS or self.device not in ("cpu", "cuda"):
            raise EmopulseError(f"--precision must be one of {', '.join(PRECISIONS)} and --device cpu or cuda")
        if self.gate_rows < 1 or not 0 <= self.min_agreement <= 1:
            raise EmopulseError("--gate-rows must be >= 1 and --min-agreement in [0, 1]")
