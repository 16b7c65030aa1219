"""`emopulse agree`: how well two label sets agree (LLM vs human, LLM vs classifier, model vs gold).

Rows are matched on an id column when both sides have it, else by position."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import polars as pl

from ..core.errors import InputError
from ..core.metrics import report
from ..core.options import opt


def _read(path: str, label_col: str, allow_partial: bool = False) -> pl.DataFrame:
    from ..core.parts import run_status

    if os.path.isdir(path):
        complete, why = run_status(path)
        if not complete and not allow_partial:
            raise InputError(f"{path}: the run is not complete: {why}; or pass --allow-partial")
    source = os.path.join(path, "*.parquet") if os.path.isdir(path) else path  # a serve-batch dir: its parts
    try:
        df = pl.read_parquet(source)
    except Exception as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
    if label_col not in df.columns:
        raise InputError(f"{path}: no label column {label_col!r} (columns: {', '.join(df.columns)})")
    return df


@dataclass(kw_only=True)
class AgreeArgs:
    """`emopulse agree`: compare predicted labels with gold (or two labellers): accuracy, macro-F1,
    Cohen's kappa and the confusion matrix; rows matched on --id-col when both have it."""

    pred: str = opt(help="Parquet file or serve-batch/label output dir", flag="--input", aliases=["--pred"])
    gold: str = opt(help="Parquet file or dir with the reference labels")
    pred_col: str = opt("label", "label column of --input")
    gold_col: str = opt("label", "label column of --gold")
    id_col: str | None = opt("id", "join column (by position when either side lacks it)")
    labels: list[str] | None = opt(None, "label set (default: every label seen)")
    output: str | None = opt(None, "write the report as JSON here")
    allow_partial: bool = opt(False, "compare a run that has no _SUCCESS marker yet")


def agree(
    pred: str,
    gold: str,
    pred_col: str = "label",
    gold_col: str = "label",
    id_col: str | None = "id",
    labels: list[str] | None = None,
    output: str | None = None,
    allow_partial: bool = False,
) -> dict:
    a, b = _read(pred, pred_col, allow_partial), _read(gold, gold_col, allow_partial)
    if id_col and id_col in a.columns and id_col in b.columns:
        joined = a.select(pl.col(id_col).cast(pl.String), pl.col(pred_col).alias("_pred")).join(
            b.select(pl.col(id_col).cast(pl.String), pl.col(gold_col).alias("_gold")), on=id_col, how="inner"
        )
        how = f"joined on {id_col!r}"
    else:
        if a.height != b.height:
            raise InputError(f"{pred} has {a.height} rows, {gold} has {b.height}, and no shared id column to join on")
        joined = pl.DataFrame({"_pred": a[pred_col], "_gold": b[gold_col]})
        how = "matched by position"
    both = joined.filter(pl.col("_pred").is_not_null() & pl.col("_gold").is_not_null())
    if both.height == 0:
        raise InputError(
            f"no row of {pred} matches a row of {gold} ({how}, {joined.height} joined, none with both "
            f"labels): different ids? (serve-batch without --id-col writes '<file>:<row>' ids)"
        )
    labels = labels or sorted(set(both["_gold"].to_list()) | set(both["_pred"].to_list()))
    res = report(both["_gold"].to_list(), both["_pred"].to_list(), labels)
    res |= {"matched": how, "rows_pred": a.height, "rows_gold": b.height, "rows_compared": both.height}
    if output:
        with open(output, "w") as f:
            json.dump(res, f, indent=2)
    return res
