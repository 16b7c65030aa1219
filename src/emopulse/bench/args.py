from __future__ import annotations

from dataclasses import dataclass

from ..core.options import AUTO_MAX_LENGTH, opt


@dataclass(kw_only=True)
class BenchArgs:
    """`emopulse bench`: every variant (transformers pipeline, optimum pipeline, torch sorted, ONNX
    fp32/optimized/int8 or fp16, serve-batch end to end) measured interleaved in one run; writes
    bench.json, bench.md and bench.png."""

    model: str | None = opt(
        None,
        "HF checkpoint dir (every variant) or an emopulse bundle (its own variant, and "
        "the checkpoint ones when its source checkpoint is found); default: the shipped model",
    )
    data: str | None = opt(
        None,
        "Parquet file with texts (default: the bundled sample of dated comments)",
        flag="--input",
        aliases=["--data"],
    )
    output: str = opt("bench-out", "directory for bench.json / .md / .png")
    text_col: str = opt("text", "text column")
    rows: int = opt(2000, "rows drawn from the data with a fixed seed", flag="--max-rows", aliases=["--rows"])
    batch_sizes: list[int] = opt(help="batch sizes", factory=lambda: [1, 8, 32, 128])
    variants: list[str] | None = opt(
        None, "subset, e.g. pipeline,onnx-int8,serve-batch (default: every variant for the device)"
    )
    repeat: int = opt(3, "interleaved rounds (A, B, C, A, B, C, ...)")
    max_seconds: float = opt(
        300.0,
        "time budget for the measurements, shared out over every variant, batch size "
        "and round (each gets at least one batch); building the variants comes on top",
    )
    chunk_rows: int = opt(512, "sorted variants sort inside chunks of this many rows")
    device: str = opt("cpu", "cpu or cuda", choices=["cpu", "cuda"])
    threads: int = opt(0, "threads; 0: automatic", auto="all cores")
    max_length: int = opt(
        0, "truncate texts to this many tokens, at most the model's own limit; 0: automatic", auto=AUTO_MAX_LENGTH
    )
    compare: list[str] | None = opt(
        None,
        "more bundles or checkpoints (e.g. distilled students, other precisions) "
        "for the speed/accuracy table: each served end to end like --model",
        metavar="MODEL",
        nargs="+",
    )
    host_only: bool = opt(
        False,
        "measure the host side only: the model replaced by a null one of the same output "
        "shape; rows/s with and without the served head per --host-workers count (host.md)",
    )
    host_workers: list[int] | None = opt(None, "--host-only: host thread counts to measure (default: 1 and all cores)")
    part_rows: int = opt(10_000, "--host-only: serve-batch rows per part")
    labelled: str | None = opt(
        None,
        "labelled Parquet (text, label): macro-F1 of --model and every --compare "
        "model in the speed/accuracy table (use a validation split you do not tune on)",
    )

    def __post_init__(self):
        from ..core.errors import EmopulseError

        if self.rows < 1 or self.repeat < 1 or not self.batch_sizes or min(self.batch_sizes) < 1:
            raise EmopulseError("--max-rows, --repeat and every --batch-sizes value must be >= 1")
        if self.max_seconds <= 0:
            raise EmopulseError(f"--max-seconds must be > 0, got {self.max_seconds}")
        from .. import data as bundled
        from ..core.bundle import resolve_model

        self.model = resolve_model(self.model)
        self.data = self.data or bundled.path(bundled.COMMENTS)
        import os

        for path in [p for p in [self.labelled, *(self.compare or [])] if p]:
            if not os.path.exists(path):  # found now, not after the whole run
                raise EmopulseError(f"{path}: no such file or directory")
