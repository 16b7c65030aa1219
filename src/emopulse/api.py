"""The Python API: classify from a notebook, a script, Ray Data or polars without the CLI.

    from emopulse import Classifier
    clf = Classifier()                          # the shipped model; or Classifier("bundle/" | "ckpt/")
    clf.predict(["정말 최고예요", "너무 화가 난다"])   # -> pyarrow.Table: label, p_<label>..., n_tokens, truncated, status
    clf.predict(polars_df)                       # -> polars.DataFrame: the frame's columns, then the predictions
    clf.predict(pandas_df)                       # -> pandas.DataFrame (its index kept)
    clf.predict(pandas_df["text"])               # a Series -> a pandas.DataFrame of predictions, same index
    ray_ds.map_batches(Classifier, fn_constructor_args=("bundle/",), batch_format="pyarrow", concurrency=4)

The same predictor as serve-batch (dedup, length sorting, token-budget batches, the served head),
so a text gets the same probabilities here as in a batch run.

What predict() gives back follows what it is given:

| input | output |
| --- | --- |
| list / tuple / numpy array of str (None or NaN: a null row) | pyarrow.Table of the prediction columns |
| pyarrow.Table or RecordBatch | pyarrow.Table: its columns, then the predictions |
| pyarrow string Array / ChunkedArray | pyarrow.Table of the prediction columns |
| polars.DataFrame (a LazyFrame is collected) | polars.DataFrame: its columns, then the predictions |
| polars.Series | polars.DataFrame of the prediction columns |
| pandas.DataFrame | pandas.DataFrame: its columns, then the predictions; index kept |
| pandas.Series | pandas.DataFrame of the prediction columns; index kept |
| dict of columns | pyarrow.Table: its columns, then the predictions |

Anything else (None, a number, one string, a list of numbers, a text column that is not text) raises
InputError with one line saying what was given.
"""

from __future__ import annotations

import pyarrow as pa

from .core.backends import build_backend
from .core.bundle import load_bundle, resolve_model
from .core.errors import InputError


class Classifier:
    def __init__(
        self,
        model: str | None = None,
        device: str = "cpu",
        threads: int = 0,
        max_length: int = 0,
        max_batch_tokens: int | None = None,
        max_batch_rows: int = 256,
    ):
        self.bundle = load_bundle(resolve_model(model), max_length, device, threads)
        tokens = max_batch_tokens or (32768 if device.startswith("cuda") else 2048)
        self.predictor = self.bundle.predictor(tokens, max_batch_rows)
        self.backend = build_backend(self.bundle.spec)
        self.labels = self.bundle.labels

    def predict(self, data, text_col: str = "text"):
        """Texts (a sequence, a Series, an Arrow array) or a table with a `text_col` column -> the
        prediction columns (label, p_<label> float32 in [0, 1] summing to 1, n_tokens, truncated, status),
        in the input's order and in the input's own type (see the module docstring's table). A table's
        own columns come first; a column of the same name as a prediction column is replaced.

        Raises InputError for anything that is not text (one line naming what was given)."""
        kind, table, texts = _as_input(data, text_col)
        preds, _ = self.predictor.predict(texts, self.backend)
        if table is not None:
            out = table
            for name in preds.column_names:
                if name in out.column_names:
                    out = out.drop_columns([name])
                out = out.append_column(name, preds.column(name))
        else:
            out = preds
        return _as_output(kind, out, data)

    def __call__(self, batch):
        """For Ray Data's map_batches (batch_format="pyarrow" or "pandas") and similar: the batch's type back."""
        return self.predict(batch)


def _as_input(data, text_col: str) -> tuple[str, pa.Table | None, pa.Array]:
    """(kind, the table whose columns are kept or None, the text array)."""
    module = type(data).__module__.split(".")[0]
    if data is None:
        raise InputError("predict() got None: pass a list of texts or a table with a text column")
    if isinstance(data, (str, bytes)):
        raise InputError("predict() takes a list of texts or a table, not one string: use predict([text])")
    if module == "polars":
        import polars as pl

        if isinstance(data, pl.LazyFrame):
            data = data.collect()
        if isinstance(data, pl.Series):
            return "polars-series", None, _texts(data.to_arrow(), f"the Series {data.name!r}")
        return "polars", *_table_texts(data.to_arrow(), text_col)
    if module == "pandas":
        import pandas as pd

        if isinstance(data, pd.Series):
            return "pandas-series", None, _pandas_texts(data, f"the Series {data.name!r}")
        if isinstance(data, pd.DataFrame):
            if text_col not in data.columns:
                raise InputError(f"no text column {text_col!r} (columns: {', '.join(map(str, data.columns))})")
            texts = _pandas_texts(data[text_col], f"text column {text_col!r}")
            rest = data.drop(columns=[text_col])
            if not len(rest.columns):  # only the text: a 0-column frame would make a 0-row table
                return "pandas", pa.table({text_col: texts}), texts
            try:
                table = pa.Table.from_pandas(rest, preserve_index=False)
            except (pa.ArrowException, TypeError, ValueError) as exc:
                raise InputError(f"a column of the DataFrame cannot be carried over: {_first_line(exc)}") from None
            return "pandas", table.append_column(text_col, texts), texts
        raise InputError(f"predict() cannot read a pandas {type(data).__name__}; pass a DataFrame or Series")
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        return "arrow", *_table_texts(data, text_col)
    if isinstance(data, (pa.Array, pa.ChunkedArray)):
        return "arrow", None, _texts(data, "the Arrow array")
    if isinstance(data, dict):
        one = next((k for k, v in data.items() if isinstance(v, (str, bytes))), None)
        if one is not None:  # pyarrow would take it as a sequence of characters
            raise InputError(f"predict() got a dict whose column {one!r} is one string, not a list of values")
        try:
            table = pa.table(data)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise InputError(f"predict() got a dict that is not a table of columns: {_first_line(exc)}") from None
        return "arrow", *_table_texts(table, text_col)
    if isinstance(data, (list, tuple)) or module == "numpy":
        items = list(data)
        bad = next(((i, x) for i, x in enumerate(items) if not (x is None or isinstance(x, str) or _is_nan(x))), None)
        if bad is not None:
            i, x = bad
            raise InputError(f"predict() wants texts: item {i} is {type(x).__name__} ({str(x)[:40]!r}), not str")
        return "list", None, pa.array([None if _is_nan(x) else x for x in items], pa.string())
    raise InputError(
        f"predict() cannot classify a {type(data).__name__}: pass a list of texts or a table "
        "(pyarrow, polars, pandas) with a text column"
    )


def _table_texts(table: pa.Table, text_col: str) -> tuple[pa.Table, pa.Array]:
    if text_col not in table.column_names:
        raise InputError(f"no text column {text_col!r} (columns: {', '.join(table.column_names)})")
    return table, _texts(table.column(text_col), f"text column {text_col!r}")


def _texts(arr, what: str) -> pa.Array:
    """A string array from a text column: dictionary (categorical) texts decoded, large/view strings
    cast; anything else refused."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], arr.type)
    t = arr.type
    if pa.types.is_dictionary(t) and _is_text(t.value_type):
        arr, t = arr.dictionary_decode(), t.value_type
    if pa.types.is_null(t):
        return pa.nulls(len(arr), pa.string())
    if not _is_text(t):
        raise InputError(f"{what} is {t}, not text (strings)")
    return arr.cast(pa.string()) if t != pa.string() else arr


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or getattr(pa.types, "is_string_view", bool)(t)


def _pandas_texts(series, what: str) -> pa.Array:
    try:
        arr = pa.array(series, from_pandas=True)  # NaN and None -> null
    except (pa.ArrowException, TypeError, ValueError):
        kinds = sorted({type(x).__name__ for x in series.dropna()})
        raise InputError(f"{what} mixes {', '.join(kinds)} values; every value must be a str (or missing)") from None
    return _texts(arr, what)


def _as_output(kind: str, out: pa.Table, original):
    if kind in ("polars", "polars-series"):
        import polars as pl

        return pl.from_arrow(out)
    if kind in ("pandas", "pandas-series"):
        frame = out.to_pandas()
        frame.index = original.index
        if kind == "pandas":  # the caller's column order, then the predictions
            frame = frame[[*original.columns, *[c for c in frame.columns if c not in original.columns]]]
        return frame
    return out


def _is_nan(x) -> bool:
    return isinstance(x, float) and x != x


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
