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
    drop_bad_dates: bool = False            # also drops dates outside [min_date, max_date]
    html: bool = False
    allow_partial: bool = False             # read a serve-batch run that has no _SUCCESS yet
    adjust: str | None = None               # model dir (or "default") whose validation confusion corrects shares
    min_date: str = "1900-01-01"            # dates outside this window are errors (typos, epoch 0, 9999)
    max_date: str | None = None             # default: one year after today

    def __post_init__(self):
        from ..core.errors import InputError
        if self.freq not in ("day", "week", "month"):
            raise InputError(f"--freq must be day, week or month, not {self.freq!r}")
        if self.min_count < 0 or self.k <= 0 or (self.window is not None and self.window < 1):
            raise InputError("--min-count must be >= 0, --k > 0 and --window >= 1")
