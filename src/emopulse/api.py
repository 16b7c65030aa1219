"""The Python API: classify from a notebook, a script, Ray Data or polars without the CLI.

    from emopulse import Classifier
    clf = Classifier()                          # the shipped model; or Classifier("bundle/" | "ckpt/")
    clf.predict(["정말 최고예요", "너무 화가 난다"])   # -> pyarrow.Table: label, p_<label>..., n_tokens, truncated, status
    clf.predict(df, text_col="text")             # pyarrow Table / polars / pandas DataFrame: columns kept
    ray_ds.map_batches(Classifier, fn_constructor_args=("bundle/",), batch_format="pyarrow", concurrency=4)

The same predictor as serve-batch (dedup, length sorting, token-budget batches, the served head),
so a text gets the same probabilities here as in a batch run.
"""
from __future__ import annotations

import pyarrow as pa

from .core.backends import build_backend
from .core.bundle import load_bundle, resolve_model
from .core.errors import InputError


class Classifier:
    def __init__(self, model: str | None = None, device: str = "cpu", threads: int = 0,
                 max_length: int = 256, max_batch_tokens: int | None = None, max_batch_rows: int = 256):
        self.bundle = load_bundle(resolve_model(model), max_length, device, threads)
        tokens = max_batch_tokens or (32768 if device.startswith("cuda") else 2048)
        self.predictor = self.bundle.predictor(tokens, max_batch_rows)
        self.backend = build_backend(self.bundle.spec)
        self.labels = self.bundle.labels

    def predict(self, data, text_col: str = "text") -> pa.Table:
        """Texts (a list, or a column of a table) -> the prediction columns, in order; a table's
        own columns come first."""
        table = _as_table(data, text_col)
        if table is None:
            texts = pa.array(list(data), pa.string())
            preds, _ = self.predictor.predict(texts, self.backend)
            return preds
        if text_col not in table.column_names:
            raise InputError(f"no text column {text_col!r} (columns: {', '.join(table.column_names)})")
        preds, _ = self.predictor.predict(table.column(text_col).combine_chunks(), self.backend)
        out = table
        for name in preds.column_names:
            if name in out.column_names:
                out = out.drop_columns([name])
            out = out.append_column(name, preds.column(name))
        return out

    def __call__(self, batch):
        """For Ray Data's map_batches (batch_format="pyarrow" or "pandas") and similar."""
        out = self.predict(batch)
        return out.to_pandas() if type(batch).__module__.startswith("pandas") else out


def _as_table(data, text_col: str) -> pa.Table | None:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    module = type(data).__module__
    if module.startswith("polars"):
        return data.to_arrow()
    if module.startswith("pandas"):
        return pa.Table.from_pandas(data, preserve_index=False)
    if isinstance(data, dict):
        return pa.table(data)
    if isinstance(data, str):
        raise InputError("predict() takes a list of texts or a table, not one string: use predict([text])")
    return None
