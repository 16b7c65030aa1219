"""Parquet inputs as a stream of fixed-size row chunks, validated before any work starts.

Inputs are files, directories (every *.parquet inside, recursively) or globs. Each file is cut into
parts of `rows_per_part` consecutive rows; a part is the unit of output, of resume and of the
length-sorting window. Reading goes row group by row group in record batches, so memory depends
on the part size, never on the size of a file or of the input.
"""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field

import pyarrow as pa

from .errors import InputError
import pyarrow.parquet as pq




@dataclass(frozen=True)
class Part:
    file_index: int
    chunk: int
    path: str
    start: int      # first row (0-based) of the file in this part
    stop: int       # one past the last row

    @property
    def name(self) -> str:
        return f"part-{self.file_index:05d}-{self.chunk:06d}"

    @property
    def n_rows(self) -> int:
        return self.stop - self.start


@dataclass
class InputPlan:
    files: list[str]
    rel_names: list[str]                 # stable per-file names used in generated ids
    num_rows: list[int]
    text_col: str
    id_col: str | None                   # None: generate ids from file and row number
    has_id: list[bool]                   # per file: does it carry id_col?
    keep_schema: pa.Schema               # kept columns and their output types
    keep_present: list[list[str]]        # per file: which kept columns it has
    bad_files: dict[str, str] = field(default_factory=dict)  # skipped with --skip-bad-files


def resolve_inputs(paths) -> list[str]:
    """Expand files, directories and globs into a sorted, de-duplicated list of Parquet files."""
    found: list[str] = []
    for raw in paths:
        path = os.path.expanduser(str(raw))
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(("_", ".")))
                found += [os.path.join(root, f) for f in sorted(files)
                          if f.endswith(".parquet") and not f.startswith(("_", "."))]
        elif any(ch in path for ch in "*?["):
            matches = sorted(glob.glob(path, recursive=True))
            if not matches:
                raise InputError(f"{raw}: the glob matches no file")
            found += matches
        elif os.path.isfile(path):
            found.append(path)
        else:
            raise InputError(f"{raw}: no such file or directory")
    seen, files = set(), []
    for f in found:
        key = os.path.abspath(f)
        if key not in seen:
            seen.add(key)
            files.append(f)
    if not files:
        raise InputError(f"no Parquet file found in {', '.join(map(str, paths))}")
    return files


def _rel_names(files: list[str]) -> list[str]:
    absolute = [os.path.abspath(f) for f in files]
    root = os.path.commonpath([os.path.dirname(a) for a in absolute])
    return [os.path.relpath(a, root) for a in absolute]


def _is_string(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def plan_inputs(paths, text_col: str, id_col: str | None = None, keep_cols=(),
                skip_bad_files: bool = False) -> InputPlan:
    """Open every file's footer and check the columns; raise InputError naming file and column."""
    files = resolve_inputs(paths)
    good, rows, schemas, bad = [], [], [], {}
    for f in files:
        try:
            pf = pq.ParquetFile(f)
            schema, n = pf.schema_arrow, pf.metadata.num_rows
            problem = None
            if text_col not in schema.names:
                problem = f"has no text column {text_col!r} (columns: {', '.join(schema.names)})"
            elif not _is_string(schema.field(text_col).type) and n > 0:
                problem = f"text column {text_col!r} is {schema.field(text_col).type}, not a string"
        except (OSError, pa.ArrowException) as exc:
            problem = f"cannot be read as Parquet ({exc})"
        if problem:
            if not skip_bad_files:
                raise InputError(f"{f}: {problem}")
            bad[f] = problem
            continue
        good.append(f)
        rows.append(n)
        schemas.append(schema)
    if not good:
        raise InputError("every input file is bad: " + "; ".join(f"{k}: {v}" for k, v in bad.items()))

    keep_fields = []
    for col in keep_cols:
        owners = [s for s in schemas if col in s.names]
        if not owners:
            raise InputError(f"kept column {col!r} is in none of the input files "
                             f"(first file {good[0]} has: {', '.join(schemas[0].names)})")
        t = owners[0].field(col).type
        keep_fields.append(pa.field(col, pa.large_string() if _is_string(t) else t))
    return InputPlan(
        files=good, rel_names=_rel_names(good), num_rows=rows, text_col=text_col, id_col=id_col,
        has_id=[bool(id_col) and id_col in s.names for s in schemas],
        keep_schema=pa.schema(keep_fields),
        keep_present=[[c for c in keep_cols if c in s.names] for s in schemas],
        bad_files=bad,
    )


def plan_parts(plan: InputPlan, rows_per_part: int) -> list[Part]:
    parts = []
    for i, (path, n) in enumerate(zip(plan.files, plan.num_rows)):
        for j, start in enumerate(range(0, n, rows_per_part)):
            parts.append(Part(i, j, path, start, min(n, start + rows_per_part)))
    return parts


def read_parts(plan: InputPlan, parts: list[Part], batch_rows: int = 8192):
    """Yield (part, table) for the given parts, reading only the row groups that overlap them.

    The table holds the text, id (if any) and kept columns present in that file."""
    by_file: dict[int, list[Part]] = {}
    for p in parts:
        by_file.setdefault(p.file_index, []).append(p)
    for i in sorted(by_file):
        yield from _read_file_parts(plan, i, sorted(by_file[i], key=lambda p: p.start), batch_rows)


def _read_file_parts(plan: InputPlan, i: int, parts: list[Part], batch_rows: int):
    path = plan.files[i]
    cols = [plan.text_col] + ([plan.id_col] if plan.has_id[i] else []) + plan.keep_present[i]
    cols = list(dict.fromkeys(cols))
    try:
        pf = pq.ParquetFile(path)
        offsets, off = [], 0
        for k in range(pf.metadata.num_row_groups):
            n = pf.metadata.row_group(k).num_rows
            offsets.append((k, off, off + n))
            off += n
        pending = list(parts)
        buf: list[pa.RecordBatch] = []
        buf_start = None
        for k, lo, hi in offsets:
            if not pending:
                break
            if hi <= pending[0].start:
                continue  # every part in this row group is finished or absent
            pos = lo
            for batch in pf.iter_batches(batch_size=batch_rows, row_groups=[k], columns=cols,
                                         use_threads=False):
                b_lo, pos = pos, pos + batch.num_rows
                while pending and batch is not None:
                    part = pending[0]
                    if pos <= part.start:
                        batch = None
                        continue
                    if buf_start is None:
                        cut = max(part.start - b_lo, 0)
                        batch, b_lo = batch.slice(cut), b_lo + cut
                        buf_start = b_lo
                    take = min(part.stop - b_lo, batch.num_rows)
                    buf.append(batch.slice(0, take))
                    batch, b_lo = batch.slice(take), b_lo + take
                    if b_lo >= part.stop:
                        yield part, pa.Table.from_batches(buf).combine_chunks()
                        buf, buf_start = [], None
                        pending.pop(0)
                    if batch.num_rows == 0:
                        batch = None
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: failed while reading ({exc})") from exc


def row_columns(plan: InputPlan, part: Part, table: pa.Table, id_col: str) -> list[pa.Array]:
    """The id column (the input's, as strings, or "<file>:<row>") and the kept columns, with
    nulls where this file lacks one: what every stage's output rows start with."""
    i = part.file_index
    if plan.has_id[i]:
        ids = table.column(plan.id_col).cast(pa.string())
    else:
        ids = pa.array([f"{plan.rel_names[i]}:{r}" for r in range(part.start, part.stop)], pa.string())
    cols = [ids]
    for f in plan.keep_schema:
        cols.append(table.column(f.name).cast(f.type) if f.name in table.column_names
                    else pa.nulls(table.num_rows, f.type))
    return cols


def dead_table(plan: InputPlan, part: Part, table: pa.Table, ids, dead: list[tuple[int, str]],
               id_col: str, extra: dict | None = None) -> pa.Table | None:
    """Dead-letter rows: id, file, row, text, reason (and any extra per-row columns)."""
    if not dead:
        return None
    rows = [r for r, _ in dead]
    cols = {
        id_col: ids.take(rows),
        "file": pa.array([plan.files[part.file_index]] * len(rows), pa.string()),
        "row": pa.array([part.start + r for r in rows], pa.int64()),
        "text": table.column(plan.text_col).take(rows).cast(pa.string()),
        "reason": pa.array([reason for _, reason in dead], pa.string()),
    }
    for name, values in (extra or {}).items():
        cols[name] = pa.array([values[r] for r in rows], pa.string())
    return pa.table(cols)
