from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_WEIGHTS = {"happiness": 1.0, "neutral": 0.5, "sadness": 0.0, "anger": 0.0}


@dataclass
class IndexArgs:
    predictions: list[str]                  # serve-batch output dirs, files or globs
    output: str
    date_col: str = "date"
    freq: str = "day"                       # day | week | month
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    min_count: int = 30                     # periods with fewer labelled rows are marked low_count
    window: int | None = None               # rolling window in periods (default 7 / 4 / 3)
    k: float = 3.0                          # anomaly: |index - rolling mean| > k * rolling sd
    hard: bool = False                      # index from hard labels instead of soft shares
    timezone: str = "Asia/Seoul"            # for tz-aware timestamps
    drop_bad_dates: bool = False
    html: bool = False
