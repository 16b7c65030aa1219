from __future__ import annotations

from dataclasses import dataclass

from ..core.options import opt
from ..index.args import DEFAULT_WEIGHTS
from ..serve_batch.args import ServeBatchArgs


@dataclass(kw_only=True)
class WatchArgs(ServeBatchArgs):
    """`emopulse watch`: a long-running process that classifies every new comment file landing in
    --input (through the serve-batch run contract: each file exactly once, across restarts and kill -9),
    folds its per-period statistics into --index-output (an update costs the new rows, not the history),
    rewrites the index, its charts and a self-reloading dashboard, and raises anomaly alerts."""
    index_output: str = opt(help="directory of the index, its statistics, the dashboard and alerts")
    freq: str = opt("day", "index period", choices=["day", "week", "month"])
    date_col: str = opt("date", "date, timestamp or ISO-string column of the comments (kept in the predictions)")
    poll: float = opt(10.0, "seconds between looks at --input")
    settle: float = opt(5.0, "a file is complete when its size and mtime have not changed for this many seconds "
                        "(or land it under a temporary name - dot, underscore, .tmp or .part - and rename)")
    alerts: str | None = opt(None, "append one JSON line per anomaly here (default: INDEX_OUTPUT/alerts.jsonl)")
    on_anomaly: str | None = opt(None, "command run for each anomaly (split like a shell would, run without one; "
                                 "the alert JSON on its stdin)")
    once: bool = opt(False, "process what is there (waiting for files still being written) and exit")
    min_count: int = opt(30, "periods with fewer labelled rows are marked low_count (never alerts)")
    window: int | None = opt(None, "rolling window in periods (default 7 days, 4 weeks, 3 months)")
    k: float = opt(3.0, "anomaly when |index - rolling mean| > k sd")
    weights: dict[str, float] = opt(help="label=weight pairs", factory=lambda: dict(DEFAULT_WEIGHTS))
    refresh: int = opt(30, "dashboard: seconds between reloads in the browser")

    def __post_init__(self):
        from ..core.errors import EmopulseError
        if not self.keep_cols or self.date_col not in self.keep_cols:
            self.keep_cols = list(self.keep_cols) + [self.date_col]
        super().__post_init__()
        if self.poll <= 0 or self.settle < 0 or self.refresh < 1:
            raise EmopulseError("--poll must be > 0, --settle >= 0 and --refresh >= 1")
        if self.freq not in ("day", "week", "month"):
            raise EmopulseError(f"--freq must be day, week or month, not {self.freq!r}")
