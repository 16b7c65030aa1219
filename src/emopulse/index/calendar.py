"""The calendar terms of the index model: day of week, month and Korean public holidays.

Holidays come from the `holidays` package (country KR by default, lunar ones included: Seollal,
Chuseok and Buddha's Birthday move with the lunar calendar; substitute holidays and election days
are there too). Two holiday terms, because the three-day family holidays are not like a single day
off: `holiday_seollal_chuseok` (Seollal and Chuseok, their eves, second days and substitutes) and
`holiday_other` (every other public holiday). For a daily index a term is 0/1; for a weekly or
monthly index it is the number of such days in the period.

Reference levels (coefficients are differences from them): Monday and January. Month terms are
only used when every month of the year is among the fitted periods in two years or more: with one
year each month is seen once and its effect cannot be told apart from a drift of the level.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from ..core.errors import InputError

DOW = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
FAMILY = ("Korean New Year", "Chuseok")


def holiday_dates(first: date, last: date, country: str = "KR") -> dict[date, str]:
    """{date: English name} of the public holidays of `country` from first to last (inclusive)."""
    try:
        import holidays  # the `index` extra; only the calendar model needs it
    except ImportError as exc:
        from ..core.errors import EmopulseError

        raise EmopulseError(
            "--calendar / --covariates need the `holidays` package: pip install 'emopulse[index]'"
        ) from exc
    try:
        days = holidays.country_holidays(country, years=range(first.year, last.year + 1), language="en_US")
    except NotImplementedError as exc:
        raise InputError(f"--holidays {country}: not a country the `holidays` package knows") from exc
    return {d: name for d, name in sorted(days.items()) if first <= d <= last}


def _period_end(p: date, freq: str) -> date:
    if freq == "day":
        return p
    if freq == "week":
        return p + timedelta(days=6)
    nxt = date(p.year + (p.month == 12), p.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def terms(periods: list[date], freq: str, country: str = "KR") -> pl.DataFrame:
    """One row per period, one float column per calendar term: dow_Tue .. dow_Sun (a daily index),
    month_02 .. month_12, holiday_seollal_chuseok, holiday_other. `usable` picks the ones a fit on
    some of these periods can use."""
    if not periods:
        return pl.DataFrame()
    hol = holiday_dates(periods[0], _period_end(periods[-1], freq), country)
    fam = np.zeros(len(periods))
    other = np.zeros(len(periods))
    for i, p in enumerate(periods):
        d, end = p, _period_end(p, freq)
        while d <= end:
            name = hol.get(d)
            if name is not None:
                if any(f in name for f in FAMILY):
                    fam[i] += 1
                else:
                    other[i] += 1
            d += timedelta(days=1)
    cols: dict[str, np.ndarray] = {}
    if freq == "day":
        dow = np.array([p.weekday() for p in periods])
        cols |= {f"dow_{DOW[j]}": (dow == j).astype(float) for j in range(1, 7)}
    month = np.array([p.month for p in periods])
    cols |= {f"month_{m:02d}": (month == m).astype(float) for m in range(2, 13)}
    cols |= {"holiday_seollal_chuseok": fam, "holiday_other": other}
    return pl.DataFrame(cols)


def usable(x: pl.DataFrame, periods: list[date]) -> list[str]:
    """The columns of `x` (rows: the fitted periods) a fit can use: not constant over them, and
    month terms only when every month of the year is among the periods in two years or more."""
    years = {m: set() for m in range(1, 13)}
    for p in periods:
        years[p.month].add(p.year)
    months = all(len(y) >= 2 for y in years.values())
    return [c for c in x.columns if x[c].n_unique() > 1 and (months or not c.startswith("month_"))]


def group(term: str) -> str:
    """The family a term belongs to, for the share of variance explained: day_of_week, month,
    holiday_seollal_chuseok, holiday_other, or the covariate's own name."""
    if term.startswith("dow_"):
        return "day_of_week"
    if term.startswith("month_"):
        return "month"
    return term
