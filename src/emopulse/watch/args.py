from __future__ import annotations

from dataclasses import dataclass

from ..core.options import opt
from ..index.args import PeriodArgs
from ..serve_batch.args import ServeBatchArgs


@dataclass(kw_only=True)
class WatchArgs(PeriodArgs, ServeBatchArgs):
    """`emopulse watch`: a long-running process that classifies every new comment file landing in
    --input (through the serve-batch run contract: each file exactly once, across restarts and kill -9),
    folds its per-period statistics into --index-output (an update costs the new rows, not the history),
    rewrites the index, its charts and a self-reloading dashboard, and raises anomaly alerts. With
    --calendar / --covariates / --strata it alerts on the adjusted series (the model's residual, fitted
    online: on earlier periods only)."""

    # --output (inherited) holds one serve-batch run per input file, named after it without the extension's
    # dot (pred/day0_parquet/): read them all with pl.scan_parquet("pred/*/part-*.parquet"), DuckDB
    # "FROM 'pred/*/part-*.parquet'", pyarrow.dataset.dataset("pred", format="parquet"), or emopulse index --input pred
    index_output: str = opt(help="directory of the index, its statistics, the dashboard and alerts")
    poll: float = opt(10.0, "seconds between looks at --input")
    settle: float = opt(
        5.0,
        "a file is complete when its size and mtime have not changed for this many seconds "
        "(or land it under a temporary name - dot, underscore, .tmp or .part - and rename)",
    )
    alerts: str | None = opt(None, "append one JSON line per anomaly here (default: INDEX_OUTPUT/alerts.jsonl)")
    on_anomaly: str | None = opt(
        None, "command run for each anomaly (split like a shell would, run without one; the alert JSON on its stdin)"
    )
    once: bool = opt(False, "process what is there (waiting for files still being written) and exit")
    refresh: int = opt(30, "dashboard: seconds between reloads in the browser")

    def __post_init__(self):
        from ..core.errors import EmopulseError

        for col in [self.date_col] + [c for c in (self.strata, self.by) if c]:
            if not self.keep_cols or col not in self.keep_cols:
                self.keep_cols = list(self.keep_cols or []) + [col]
        super().__post_init__()
        self.check_period()
        if self.poll <= 0 or self.settle < 0 or self.refresh < 1:
            raise EmopulseError("--poll must be > 0, --settle >= 0 and --refresh >= 1")
