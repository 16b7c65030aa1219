"""The column contract between stages.

Labels of a *model* always come from its id2label; LABELS is only the project's default label set
(training data, index weights).
"""

from __future__ import annotations

import pyarrow as pa

LABELS = ("anger", "sadness", "happiness", "neutral")

ID_COL = "id"
LABEL_COL = "label"
N_TOKENS_COL = "n_tokens"
TRUNCATED_COL = "truncated"
STATUS_COL = "status"

# Row status values written by serve-batch.
OK = "ok"
NULL_TEXT = "null"  # text was null
EMPTY_TEXT = "empty"  # nothing left of the text in its canonical form (whitespace, invisibles only)
FAILED = "failed"  # inference failed for this row; it is also in _deadletter/


def prob_col(label: str) -> str:
    return f"p_{label}"


def prob_cols(labels) -> list[str]:
    return [prob_col(label) for label in labels]


def output_schema(labels, kept: pa.Schema | None = None, id_col: str = ID_COL) -> pa.Schema:
    """Schema of a prediction part: id, kept columns, label, p_<label>..., n_tokens, truncated, status."""
    fields = [pa.field(id_col, pa.string())]
    fields += list(kept or [])
    fields.append(pa.field(LABEL_COL, pa.string()))
    fields += [pa.field(c, pa.float32()) for c in prob_cols(labels)]
    fields += [
        pa.field(N_TOKENS_COL, pa.int32()),
        pa.field(TRUNCATED_COL, pa.bool_()),
        pa.field(STATUS_COL, pa.string()),
    ]
    return pa.schema(fields)


def labels_from_schema(schema: pa.Schema) -> list[str]:
    """The label set of a predictions file, read back from its p_<label> columns."""
    return [name[2:] for name in schema.names if name.startswith("p_")]


RESERVED = (ID_COL, LABEL_COL, N_TOKENS_COL, TRUNCATED_COL, STATUS_COL)


def check_keep_cols(keep_cols, id_col: str | None, text_col: str) -> None:
    """Kept columns must not collide with the output's own columns (a part with two `label`
    columns is unreadable): refused before any work."""
    from .errors import InputError

    out_id = id_col or ID_COL
    seen = set()
    for col in keep_cols:
        if col in seen:
            raise InputError(f"--keep-cols names {col!r} twice")
        seen.add(col)
        if col == out_id or col in RESERVED or col.startswith("p_"):
            raise InputError(
                f"--keep-cols {col!r} collides with an output column "
                f"({', '.join(RESERVED)}, p_<label>); rename it in the input or leave it out"
            )
