"""A composite index: the emotion index and standardized covariates, combined with the user's signs
and weights into one 0–100 score with a band.

The spec (TOML):

    [[input]]
    series = "index"          # a column of the index table (index, index_adj, index_strat) or a covariate
    sign = 1                  # +1: higher is better; -1: higher is worse
    weight = 0.5              # > 0; rescaled so the weights sum to 1

Each input is standardized, z = (x - mean) / sd over the periods (with --online and in watch: over
the periods before, so a score never reads a later period); c = sum w sign z; the score is
100 Phi(c / sd(c)) — 50 is a usual period, 84 one sd of the combination above. The band carries
the sampling error of the emotion-index inputs (their 95 % band through the same formula);
covariates are taken as exact. Every input with its sign, weight, mean and sd is recorded in
composite.json and its standardized value in the column composite_z_<series>.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from ..core import storage
from ..core.errors import InputError
from .compute import Z

EMOTION = ("index", "index_adj", "index_strat")


def read_spec(path: str, columns: list[str]) -> list[dict]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        spec = tomllib.loads(storage.read_bytes(path).decode())
    except (OSError, FileNotFoundError) as exc:
        raise InputError(f"{path}: cannot read the composite spec ({exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not TOML ({exc})") from None
    inputs = spec.get("input")
    if not isinstance(inputs, list) or not inputs:
        raise InputError(f"{path}: no [[input]] tables (each with series, sign, weight)")
    out = []
    for i, item in enumerate(inputs):
        where = f"{path}: input {i + 1}"
        series, sign, weight = item.get("series"), item.get("sign", 1), item.get("weight", 1.0)
        if series not in columns:
            raise InputError(
                f"{where}: series {series!r} is neither an index column nor a covariate "
                f"(available: {', '.join(columns)})"
            )
        if sign not in (1, -1):
            raise InputError(f"{where}: sign must be 1 or -1, not {sign!r}")
        if not isinstance(weight, (int, float)) or weight <= 0:
            raise InputError(f"{where}: weight must be a number > 0, not {weight!r}")
        out.append({"series": series, "sign": int(sign), "weight": float(weight)})
    total = sum(x["weight"] for x in out)
    for x in out:
        x["weight_scaled"] = x["weight"] / total
    return out


def _phi(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def _standard(x: np.ndarray, online: bool) -> tuple[np.ndarray, np.ndarray]:
    """(mean, sd) per period: over every finite value, or over the finite values before each period."""
    if not online:
        v = x[np.isfinite(x)]
        return np.full_like(x, v.mean() if v.size else np.nan), np.full_like(x, v.std(ddof=1) if v.size > 1 else np.nan)
    s = pl.Series(x).fill_nan(None).shift(1)
    cnt = s.is_not_null().cast(pl.Int64).cum_sum()
    mean = s.fill_null(0).cum_sum() / cnt
    sq = (s.fill_null(0) ** 2).cum_sum() / cnt
    var = (sq - mean**2) * cnt / (cnt - 1)
    ok = (cnt >= 3).to_numpy()
    return (
        np.where(ok, mean.to_numpy(), np.nan),
        np.where(ok, np.sqrt(np.clip(var.to_numpy().astype(float), 0, None)), np.nan),
    )


def compose(df: pl.DataFrame, spec: list[dict], online: bool) -> tuple[pl.DataFrame, dict]:
    """df with composite, composite_lo, composite_hi and composite_z_<series>; and the record."""
    c = np.zeros(df.height)
    half = np.zeros(df.height)
    cols, record = {}, []
    for x in spec:
        v = df[x["series"]].cast(pl.Float64).fill_null(np.nan).to_numpy()
        mean, sd = _standard(v, online)
        z = (v - mean) / sd
        cols[f"composite_z_{x['series']}"] = z
        c = c + x["weight_scaled"] * x["sign"] * z
        if x["series"] in EMOTION and f"{x['series']}_lo" in df.columns:
            band = (df[f"{x['series']}_hi"] - df[f"{x['series']}_lo"]).cast(pl.Float64)
            se = band.fill_null(np.nan).to_numpy() / (2 * Z)
            half = half + x["weight_scaled"] * se / sd
        record.append(
            x
            | {
                "mean": float(np.nanmean(mean)) if not online else None,
                "sd": float(np.nanmean(sd)) if not online else None,
            }
        )
    csd = _standard(c, online)[1]
    score = 100 * _phi(c / csd)
    lo, hi = 100 * _phi((c - Z * half) / csd), 100 * _phi((c + Z * half) / csd)
    new = [
        pl.Series(k, v).fill_nan(None)
        for k, v in {"composite": score, "composite_lo": lo, "composite_hi": hi, **cols}.items()
    ]
    info = {
        "inputs": record,
        "standardized": "over earlier periods" if online else "over all periods",
        "score": "100 * Phi(c / sd(c)), c = sum weight_scaled * sign * z",
        "sd_combination": float(np.nanmean(csd)) if not online else None,
    }
    return df.with_columns(new), info
