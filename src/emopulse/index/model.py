"""The index model: the per-period index on covariates and calendar terms, by OLS with
Newey–West (HAC) standard errors (statsmodels).

Fitted periods: those with an index, not low_count (their index is mostly sampling noise) and every
covariate known (see covariates.align). HAC lags: the Newey–West rule floor(4 (T/100)^(2/9)).

Outputs per period:
- `calendar_effect`: the fitted calendar terms, centred on their mean over the fitted periods, so
  `index_adj = index - calendar_effect` keeps the index's level (a Monday-January baseline would
  shift it); its band is the index's band moved by the same amount (the effects' own error is in
  covariates.json);
- `index_fit` (calendar + covariates) and `index_resid = index - index_fit`, the series the
  anomaly rule judges, so a dip the calendar or a covariate predicts is not an alert.

Online (`--online`, and always in `watch`): the effect for period t comes from a fit on the
periods before t only (nothing later is read), and stays null until that fit has
max(baseline, 2 x its parameters) periods.

Share of variance explained: R² of the whole model, and per group of terms (day of week, month,
each holiday term, each covariate) the drop in R² when that group is left out (its unique share;
shares of correlated groups need not add up to the total).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from . import calendar
from .compute import BASELINE, Z


def _ols(y: np.ndarray, x: np.ndarray, hac_lags: int | None = None):
    try:
        import statsmodels.api as sm  # the `index` extra; only the model needs it
    except ImportError as exc:
        from ..core.errors import EmopulseError

        raise EmopulseError(
            "--calendar / --covariates need the `statsmodels` package: pip install 'emopulse[index]'"
        ) from exc
    model = sm.OLS(y, sm.add_constant(x, has_constant="add"))
    if hac_lags is None:
        return model.fit()
    return model.fit(cov_type="HAC", cov_kwds={"maxlags": hac_lags})


def _num(v) -> float | None:
    v = float(v)
    return v if np.isfinite(v) else None


def nw_lags(t: int) -> int:
    return int(math.floor(4 * (t / 100) ** (2 / 9)))


def fit_full(y: np.ndarray, use: np.ndarray, x: pl.DataFrame, cal_cols: list[str], periods: list) -> dict:
    """Fits once on the periods where `use`; returns the report (terms with coefficient, HAC
    standard error, 95 % interval and p-value; R² and shares) and per-period arrays
    calendar_effect, index_fit (NaN where a covariate is unknown)."""
    rows = np.flatnonzero(use)
    fitted = [periods[i] for i in rows]
    cal = [c for c in calendar.usable(x[rows], fitted) if c in cal_cols]
    cov = [c for c in x.columns if c not in cal_cols and x[rows][c].n_unique() > 1]
    cols = cov + cal
    if len(rows) < len(cols) + 3:
        from ..core.errors import InputError

        raise InputError(
            f"the index model has {len(cols) + 1} parameters but only {len(rows)} periods to fit them "
            "on (periods not low_count with every covariate known); use a coarser --freq, a lower "
            "--min-count or more data"
        )
    xm = x.select(cols).to_numpy()
    lags = nw_lags(len(rows))
    res = _ols(y[rows], xm[rows], lags)
    ci = res.conf_int(0.05)
    beta = dict(zip(["const"] + cols, res.params))
    terms = [
        {
            "term": name,
            "group": calendar.group(name) if name != "const" else "const",
            "kind": "calendar" if name in cal else ("covariate" if name != "const" else "intercept"),
            "coef": _num(res.params[j]),
            "se": _num(res.bse[j]),
            "lo": _num(ci[j][0]),
            "hi": _num(ci[j][1]),
            "p": _num(res.pvalues[j]),
        }
        for j, name in enumerate(["const"] + cols)
    ]
    groups = {calendar.group(c): [d for d in cols if calendar.group(d) == calendar.group(c)] for c in cols}
    shares = {}
    for g, members in groups.items():
        rest = [j for j, c in enumerate(cols) if c not in members]
        r2 = _ols(y[rows], xm[rows][:, rest]).rsquared if rest else 0.0
        shares[g] = _num(res.rsquared - r2)
    for kind, members in (("calendar", cal), ("covariates", cov)):
        rest = [j for j, c in enumerate(cols) if c not in members]
        if members:
            r2 = _ols(y[rows], xm[rows][:, rest]).rsquared if rest else 0.0
            shares[f"all {kind}"] = _num(res.rsquared - r2)
    cal_x = x.select(cal).to_numpy() if cal else np.zeros((x.height, 0))
    effect = cal_x @ np.array([beta[c] for c in cal]) if cal else np.zeros(x.height)
    effect = effect - effect[rows].mean()
    full = xm @ np.asarray(res.params[1:]) + res.params[0]
    return {
        "report": {
            "periods_fitted": int(len(rows)),
            "first": str(fitted[0]),
            "last": str(fitted[-1]),
            "r2": _num(res.rsquared),
            "hac_lags": lags,
            "terms": terms,
            "variance_explained": shares,
        },
        "calendar_effect": effect,
        "index_fit": full,
    }


def fit_online(y: np.ndarray, use: np.ndarray, x: pl.DataFrame, cal_cols: list[str], periods: list, freq: str) -> dict:
    """Per period t: the calendar effect and the prediction from a plain OLS fit on the usable
    periods before t (point estimates only); NaN until enough periods came before."""
    t_all = x.height
    effect, pred = np.full(t_all, np.nan), np.full(t_all, np.nan)
    xa = {c: x[c].to_numpy() for c in x.columns}
    for t in range(t_all):
        rows = np.flatnonzero(use[:t])
        if len(rows) < BASELINE[freq]:
            continue
        fitted = [periods[i] for i in rows]
        sub = x[rows]
        cal = [c for c in calendar.usable(sub, fitted) if c in cal_cols]
        cov = [c for c in x.columns if c not in cal_cols and sub[c].n_unique() > 1]
        cols = cov + cal
        if len(rows) < 2 * (len(cols) + 1) or any(not np.isfinite(xa[c][t]) for c in cov):
            continue
        res = _ols(y[rows], np.column_stack([xa[c][rows] for c in cols]) if cols else np.zeros((len(rows), 0)))
        b = dict(zip(cols, res.params[1:]))
        cal_now = sum(b[c] * xa[c][t] for c in cal) if cal else 0.0
        cal_mean = sum(b[c] * xa[c][rows].mean() for c in cal) if cal else 0.0
        effect[t] = cal_now - cal_mean
        pred[t] = res.params[0] + sum(b[c] * xa[c][t] for c in cols)
    return {"calendar_effect": effect, "index_fit": pred}


def columns(df: pl.DataFrame, base: str, effect: np.ndarray, fit: np.ndarray) -> pl.DataFrame:
    """Adds calendar_effect, index_adj (+ band), index_fit, index_resid for the series `base`
    (index, or index_strat)."""
    e = pl.Series("calendar_effect", effect).fill_nan(None)
    f = pl.Series("index_fit", fit).fill_nan(None)
    df = df.with_columns(e, f)
    return df.with_columns(
        (pl.col(base) - pl.col("calendar_effect")).alias("index_adj"),
        (pl.col(f"{base}_lo") - pl.col("calendar_effect")).alias("index_adj_lo"),
        (pl.col(f"{base}_hi") - pl.col("calendar_effect")).alias("index_adj_hi"),
        (pl.col(base) - pl.col("index_fit")).alias("index_resid"),
        ((pl.col(f"{base}_hi") - pl.col(f"{base}_lo")) / (2 * Z)).alias("_se"),
    )
