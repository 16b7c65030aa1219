"""Options of the stages that stream comment files into exactly-once output parts (serve-batch,
label, watch): declared once, inherited by each stage's args dataclass."""

from __future__ import annotations

from dataclasses import dataclass

from .options import opt
from .reader import FORMATS


@dataclass(kw_only=True)
class StreamArgs:
    inputs: list[str] = opt(
        help="Parquet, CSV or JSON Lines files, directories or globs; local paths or "
        "URIs (s3://, gs://, hdfs://, file://)",
        flag="--input",
        nargs="+",
    )
    output: str = opt(help="output directory or URI (read it as a Parquet dataset)")
    text_col: str = opt("text", "column with the comment text")
    id_col: str | None = opt(
        None,
        "id column carried over (must be in every file); not given: the column 'id' "
        "where a file has one; '' for generated ids only; a row without an id (or with a null "
        "one) gets '<file>:<row>' as a stable id",
        auto="'id' where a file has it, else '<file>:<row>'",
    )
    keep_cols: list[str] = opt(
        help="comma-separated input columns copied to the output, e.g. date,source", factory=list
    )
    encoding: str = opt(
        "utf-8",
        "text encoding of CSV / JSON Lines inputs (a Python codec name), e.g. cp949 for "
        "Excel on Korean Windows; a file that is not UTF-8 is refused with a hint",
    )
    format: str = opt(
        "auto", "input format; auto: by extension (.parquet/.pq, .csv, .jsonl/.ndjson/.json)", choices=list(FORMATS)
    )
    storage_options: dict[str, str] = opt(
        help="object storage setting KEY=VALUE (repeatable), e.g. "
        "region=eu-west-1 or endpoint_override=host:9000; credentials come "
        "from the AWS_* environment",
        flag="--storage-option",
        metavar="KEY=VALUE",
        factory=dict,
    )
    resume: bool = opt(False, "continue a run: skip finished parts (verified)")
    overwrite: bool = opt(False, "discard what an earlier run wrote to the output (never other files)")
    skip_bad_files: bool = opt(
        False, "record unreadable or malformed files in the summary and go on, instead of stopping before any work"
    )
    progress: bool | None = opt(None, "progress bar (default: on a terminal; otherwise heartbeat lines)")
    heartbeat: float = opt(30.0, "without a terminal: seconds between heartbeat lines (rows, rows/s, ETA)")

    def check_stream(self) -> None:
        from .errors import EmopulseError
        from .schema import check_keep_cols

        if self.resume and self.overwrite:
            raise EmopulseError("--resume and --overwrite exclude each other")
        if not self.inputs:
            raise EmopulseError("no --input given")
        if not self.output:
            raise EmopulseError("no --output given")
        if self.heartbeat <= 0:
            raise EmopulseError(f"--heartbeat must be > 0 seconds, got {self.heartbeat}")
        if self.format not in FORMATS:
            raise EmopulseError(f"--format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        check_keep_cols(self.keep_cols, self.id_col, self.text_col)
