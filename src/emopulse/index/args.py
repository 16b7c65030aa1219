from __future__ import annotations

from dataclasses import dataclass

from ..core.options import opt

DEFAULT_WEIGHTS = {"happiness": 1.0, "neutral": 0.5, "sadness": 0.0, "anger": 0.0}


@dataclass(kw_only=True)
class PeriodArgs:
    """How dated predictions become a per-period index: the options `index` and `watch` share."""
    date_col: str = opt("date", "date, timestamp or ISO-string column (watch keeps it in the predictions)")
    freq: str = opt("day", "period", choices=["day", "week", "month"])
    weights: dict[str, float] = opt(help="label=weight pairs, rescaled to 0-1", factory=lambda: dict(DEFAULT_WEIGHTS))
    min_count: int = opt(30, "periods with fewer labelled rows are marked low_count (never alerts)")
    window: int | None = opt(None, "rolling window in periods (default 7 days, 4 weeks, 3 months)")
    k: float = opt(3.0, "anomaly when |index - rolling mean| > k rolling sd")
    timezone: str = opt("Asia/Seoul", "the calendar of the periods: an instant (a timestamp with a time zone, "
                        "an ISO string ending in an offset or Z, e.g. 2024-03-01T15:00:00Z) is converted to it; a "
                        "naive timestamp or string and a date are taken as local already")

    def check_period(self) -> None:
        from ..core.errors import InputError
        if self.freq not in ("day", "week", "month"):
            raise InputError(f"--freq must be day, week or month, not {self.freq!r}")
        if self.min_count < 0 or self.k <= 0 or (self.window is not None and self.window < 1):
            raise InputError("--min-count must be >= 0, --k > 0 and --window >= 1")
        if not self.weights:
            self.weights = dict(DEFAULT_WEIGHTS)
        import zoneinfo
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            from ..core.errors import EmopulseError
            raise EmopulseError(f"--timezone {self.timezone!r} is not an IANA time zone (e.g. Asia/Seoul, UTC)") from None


@dataclass(kw_only=True)
class IndexArgs(PeriodArgs):
    """`emopulse index`: aggregate serve-batch predictions per period: counts, hard and soft shares with
    95 % bands, a 0-100 mental-health index with its band, a rolling mean and anomaly flags; write
    index.parquet, index.csv, index.png (and index.html)."""
    inputs: list[str] = opt(help="serve-batch output dirs, files or globs (local or URIs)", flag="--input",
                            aliases=["--predictions"], nargs="+")
    output: str = opt(help="directory (or URI) for the index files")
    hard: bool = opt(False, "index from hard labels instead of probabilities")
    drop_bad_dates: bool = opt(False, "drop unparseable or implausible dates (counted) instead of failing")
    html: bool = opt(False, "also write an interactive, offline index.html (plotly.min.js beside it)")
    allow_partial: bool = opt(False, "read a serve-batch run that has no _SUCCESS marker yet (still running, "
                              "killed, or with skipped files)")
    adjust: str | None = opt(None, "add adj_<label> shares and index_adj corrected for the classifier's "
                             "confusions on its validation rows (a model dir with head.json from `emopulse "
                             "calibrate`, or 'default' for the shipped model)", metavar="MODEL")
    min_date: str = opt("1900-01-01", "earliest plausible date")
    max_date: str | None = opt(None, "latest plausible date (default: a year after today)")
    storage_options: dict[str, str] = opt(help="object storage setting KEY=VALUE (repeatable)",
                                          flag="--storage-option", metavar="KEY=VALUE", factory=dict)

    def __post_init__(self):
        self.check_period()
        import datetime as dt

        from ..core.errors import EmopulseError
        for flag, value in (("--min-date", self.min_date), ("--max-date", self.max_date)):
            if value is not None:
                try:
                    dt.date.fromisoformat(value)
                except (TypeError, ValueError):
                    raise EmopulseError(f"{flag} {value!r} is not a date (YYYY-MM-DD)") from None
