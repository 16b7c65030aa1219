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
    timezone: str = opt(
        "Asia/Seoul",
        "the calendar of the periods: an instant (a timestamp with a time zone, "
        "an ISO string ending in an offset or Z, e.g. 2024-03-01T15:00:00Z) is converted to it; a "
        "naive timestamp or string and a date are taken as local already",
    )
    covariates: str | None = opt(
        None,
        "Parquet/CSV of a date column and numeric series of any frequency: model the "
        "index on them and the calendar (OLS, Newey-West errors), write covariates.md/.json, "
        "judge anomalies on the residual",
        metavar="FILE",
    )
    covariates_date_col: str = opt("date", "the covariates file's date column")
    calendar: bool = opt(
        False,
        "model the index on the calendar (day of week, month, public holidays) and add "
        "index_adj, the index with calendar effects removed (implied by --covariates)",
    )
    holidays: str = opt("KR", "country of the public holidays (a `holidays` package code; lunar ones included)")
    composite: str | None = opt(
        None,
        "TOML spec of a composite 0-100 score: the index and standardized covariates with signs and weights",
        metavar="SPEC",
    )
    strata: str | None = opt(
        None,
        "column to post-stratify by (e.g. source): index_strat and strat_<label> at fixed "
        "stratum shares, beside the raw ones",
        metavar="COLUMN",
    )
    strata_weights: str = opt(
        "overall",
        "stratum shares: overall (each stratum's share of the input), equal, or "
        "name=weight pairs (news=0.4,youtube=0.3,reviews=0.3)",
    )
    by: str | None = opt(
        None,
        "column to write per-stratum indices for, side by side (by_<column>.parquet/.csv/.png/.md)",
        metavar="COLUMN",
    )

    def check_period(self) -> None:
        from ..core.errors import InputError

        if self.freq not in ("day", "week", "month"):
            raise InputError(f"--freq must be day, week or month, not {self.freq!r}")
        if self.min_count < 0 or self.k <= 0 or (self.window is not None and self.window < 1):
            raise InputError("--min-count must be >= 0, --k > 0 and --window >= 1")
        if not self.weights:
            self.weights = dict(DEFAULT_WEIGHTS)
        if self.date_col in (self.strata, self.by):
            raise InputError(f"--strata / --by {self.date_col}: the date column is not a stratum")
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            from ..core.errors import EmopulseError

            raise EmopulseError(
                f"--timezone {self.timezone!r} is not an IANA time zone (e.g. Asia/Seoul, UTC)"
            ) from None

    @property
    def modelled(self) -> bool:
        """Whether the index model (calendar, and covariates if given) runs."""
        return bool(self.covariates or self.calendar)

    @property
    def extended(self) -> bool:
        """Whether any option beyond the plain index is set (without one, the index is as before)."""
        return bool(self.modelled or self.strata or self.by or self.composite)

    @property
    def group_cols(self) -> list[str]:
        """The stratum columns whose per-period sums are needed (--strata, --by)."""
        return list(dict.fromkeys(c for c in (self.strata, self.by) if c))


@dataclass(kw_only=True)
class IndexArgs(PeriodArgs):
    """`emopulse index`: aggregate serve-batch predictions per period: counts, hard and soft shares with
    95 % bands, a 0-100 mental-health index with its band, a rolling mean and anomaly flags; write
    index.parquet, index.csv, index.png (and index.html)."""

    inputs: list[str] = opt(
        help="serve-batch output dirs, files or globs (local or URIs)",
        flag="--input",
        aliases=["--predictions"],
        nargs="+",
    )
    output: str = opt(help="directory (or URI) for the index files")
    hard: bool = opt(False, "index from hard labels instead of probabilities")
    drop_bad_dates: bool = opt(False, "drop unparseable or implausible dates (counted) instead of failing")
    html: bool = opt(False, "also write an interactive, offline index.html (plotly.min.js beside it)")
    allow_partial: bool = opt(
        False, "read a serve-batch run that has no _SUCCESS marker yet (still running, killed, or with skipped files)"
    )
    adjust: str | None = opt(
        None,
        "add adj_<label> shares and index_adj corrected for the classifier's "
        "confusions on its validation rows (a model dir with head.json from `emopulse "
        "calibrate`, or 'default' for the shipped model)",
        metavar="MODEL",
    )
    min_date: str = opt("1900-01-01", "earliest plausible date")
    max_date: str | None = opt(None, "latest plausible date (default: a year after today)")
    online: bool = opt(
        False,
        "no look-ahead: the adjustment and residual of a period come from a model fitted on "
        "earlier periods only (what watch does)",
    )
    storage_options: dict[str, str] = opt(
        help="object storage setting KEY=VALUE (repeatable)", flag="--storage-option", metavar="KEY=VALUE", factory=dict
    )

    def __post_init__(self):
        self.check_period()
        if self.adjust and self.modelled:
            from ..core.errors import InputError

            raise InputError("--adjust and --calendar/--covariates both write index_adj: run them apart")
        if self.online and not (self.modelled or self.composite):
            from ..core.errors import InputError

            raise InputError("--online needs --calendar, --covariates or --composite (it is about their fits)")
        import datetime as dt

        from ..core.errors import EmopulseError

        for flag, value in (("--min-date", self.min_date), ("--max-date", self.max_date)):
            if value is not None:
                try:
                    dt.date.fromisoformat(value)
                except (TypeError, ValueError):
                    raise EmopulseError(f"{flag} {value!r} is not a date (YYYY-MM-DD)") from None
