"""The files of the options beyond the plain index: covariates.md/.json (the model's effects),
composite.json, by_<column>.parquet/.csv/.md/.png (per-stratum indices)."""

from __future__ import annotations

import json
import os

import polars as pl

from ..core import storage

GROUP_WORDS = {
    "day_of_week": "day of week (vs Monday)",
    "month": "month (vs January)",
    "holiday_seollal_chuseok": "Seollal / Chuseok days",
    "holiday_other": "other public holidays",
}


def _f(v, nd=2, sign="") -> str:
    return "n/a" if v is None else f"{v:{sign}.{nd}f}"


def _p(v) -> str:
    return "n/a" if v is None else ("< 0.001" if v < 0.001 else f"{v:.3f}")


def covariates_md(rec: dict) -> str:
    fit = rec["fit"]
    lines = [
        "# The index model",
        "",
        f"Target: `{rec['target']}`; OLS with Newey–West (HAC) standard errors, {fit['hac_lags']} lags; "
        f"{fit['periods_fitted']} periods fitted ({fit['first']} .. {fit['last']}; periods not low_count with "
        f"every covariate known); R² {_f(fit['r2'], 3)}. Public holidays: `{rec['holidays_country']}`"
        + (f"; covariates: `{rec['covariates']}`" if rec["covariates"] else "")
        + ".",
        "",
        "Effects are in index points (0–100 scale) per unit of the term: a calendar dummy's effect is "
        "the difference from its reference (Monday, January, a day that is not a holiday); a holiday term "
        "for a weekly or monthly index counts holiday days in the period.",
        "",
        "| term | effect | 95 % interval | p |",
        "| --- | ---: | --- | ---: |",
    ]
    for t in fit["terms"]:
        lines.append(
            f"| {t['term']} | {_f(t['coef'], 2, '+')} | [{_f(t['lo'], 2, '+')}, {_f(t['hi'], 2, '+')}] | {_p(t['p'])} |"
        )
    lines += [
        "",
        "Share of the index's variance explained (R² lost when the group is left out):",
        "",
        "| group | share |",
        "| --- | ---: |",
    ]
    for g, v in fit["variance_explained"].items():
        lines.append(f"| {GROUP_WORDS.get(g, g)} | {_f(v and 100 * v, 1)} % |")
    lines += [f"| whole model (R²) | {_f(fit['r2'] and 100 * fit['r2'], 1)} % |", ""]
    if rec["online"]:
        lines += [
            "`--online`: index_adj and index_resid of each period come from a fit on earlier periods only; "
            "the table above is the fit on every period (for reading, not what the adjustment used).",
            "",
        ]
    return "\n".join(lines)


def write(out: str, df: pl.DataFrame, labels: list[str], extra: dict, args, title: str) -> None:
    """Writes the extra files into the local directory `out`."""
    from . import chart_by

    rec = extra.get("model")
    if rec is not None:
        with open(os.path.join(out, "covariates.json"), "w") as f:
            json.dump(rec, f, indent=2, default=str)
        if rec["fit"] is not None:
            storage.write_bytes(os.path.join(out, "covariates.md"), covariates_md(rec).encode())
    if "composite" in extra:
        with open(os.path.join(out, "composite.json"), "w") as f:
            json.dump(extra["composite"], f, indent=2, default=str)
    if "by" in extra:
        col, long = args.by, extra["by"]
        long.write_parquet(os.path.join(out, f"by_{col}.parquet"))
        long.write_csv(os.path.join(out, f"by_{col}.csv"), float_precision=4)
        storage.write_bytes(os.path.join(out, f"by_{col}.md"), overall_md(extra["by_overall"], col, labels).encode())
        chart_by.by_png(long, col, os.path.join(out, f"by_{col}.png"), title, extra["by_overall"])


def overall_md(tab: pl.DataFrame, col: str, labels: list[str]) -> str:
    lines = [
        f"# The index per {col}",
        "",
        "Every labelled row of the input, dated or not (undated rows are in no period of the index but count "
        "here; rows with no label, empty or failed, do not).",
        "",
        f"| {col} | rows | undated | index | 95 % band | " + " | ".join(labels) + " |",
        "| --- | ---: | ---: | ---: | --- | " + " | ".join("---:" for _ in labels) + " |",
    ]
    for r in tab.iter_rows(named=True):
        lines.append(
            f"| {r[col]} | {r['n']:,} | {r['n_undated']:,} | {_f(r['index'], 1)} | "
            f"[{_f(r['index_lo'], 1)}, {_f(r['index_hi'], 1)}] | "
            + " | ".join(_f(r[f"soft_{lab}"], 3) for lab in labels)
            + " |"
        )
    return "\n".join(lines) + "\n"


def summary(extra: dict) -> dict:
    """The part of _summary.json about the extra options."""
    s: dict = {}
    if "strata" in extra:
        s["strata"] = extra["strata"]
    if "model" in extra:
        fit = extra["model"]["fit"]
        s["model"] = {
            "target": extra["model"]["target"],
            "online": extra["model"]["online"],
            "r2": fit["r2"] if fit else None,
            "periods_fitted": fit["periods_fitted"] if fit else 0,
        }
    if "anomalies_judged_on" in extra:
        s["anomalies_judged_on"] = extra["anomalies_judged_on"]
    if "composite" in extra:
        s["composite"] = [
            {k: x[k] for k in ("series", "sign", "weight", "weight_scaled")} for x in extra["composite"]["inputs"]
        ]
    return s
