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
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import InputError


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


def _is_run_dir(path: str) -> bool:
    """An emopulse output directory (predictions, labels): never read back as comments."""
    return os.path.exists(os.path.join(path, "_manifest.json"))


def resolve_inputs(paths) -> list[str]:
    """Expand files, directories and globs into a sorted list of regular Parquet files, each
    once: paths are resolved (symlinks, `..`) and de-duplicated by their real path, so a symlink
    loop or a link beside its target never reads a file twice. Directories that hold an emopulse
    run (a _manifest.json) are skipped."""
    found: list[str] = []
    for raw in paths:
        path = os.path.expanduser(str(raw))
        if os.path.isdir(path):
            if _is_run_dir(path):
                raise InputError(f"{raw}: is an emopulse output directory (it holds _manifest.json), not comments")
            for root, dirs, files in os.walk(path):  # followlinks=False: no loops
                dirs[:] = sorted(d for d in dirs if not d.startswith(("_", "."))
                                 and not _is_run_dir(os.path.join(root, d)))
                found += [os.path.join(root, f) for f in sorted(files)
                          if f.endswith(".parquet") and not f.startswith(("_", "."))]
        elif any(ch in path for ch in "*?["):
            matches = sorted(m for m in glob.glob(path, recursive=True)
                             if not _is_run_dir(os.path.dirname(m) or "."))
            if not matches:
                raise InputError(f"{raw}: the glob matches no file")
            found += matches
        elif os.path.isfile(path):
            found.append(path)
        else:
            raise InputError(f"{raw}: no such file or directory")
    seen, files = set(), []
    for f in found:
        real = os.path.realpath(f)
        if real in seen or not os.path.isfile(real):
            continue  # a second path to the same file, or not a regular file (fifo, dir, dangling link)
        seen.add(real)
        files.append(real)
    if not files:
        raise InputError(f"no Parquet file found in {', '.join(map(str, paths))}")
    return files


def _rel_names(files: list[str]) -> list[str]:
    absolute = [os.path.abspath(f) for f in files]
    root = os.path.commonpath([os.path.dirname(a) for a in absolute])
    return [os.path.relpath(a, root) for a in absolute]


def _is_scalar(t: pa.DataType) -> bool:
    return not (pa.types.is_nested(t) or pa.types.is_dictionary(t) and pa.types.is_nested(t.value_type))


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
            elif id_col and id_col in schema.names and not _is_scalar(schema.field(id_col).type):
                problem = f"id column {id_col!r} is {schema.field(id_col).type}; ids must be scalars (string, integer)"
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


def read_parts(plan: InputPlan, parts: list[Part], batch_rows: int = 8192, skip_bad_files: bool = False):
    """Yield (part, table) for the given parts, reading only the row groups that overlap them.

    The table holds the text, id (if any) and kept columns present in that file. A file that
    fails mid-read (corrupt pages) stops the run with its name, or with skip_bad_files is
    recorded in plan.bad_files and the next file goes on; its unread parts stay unfinished."""
    by_file: dict[int, list[Part]] = {}
    for p in parts:
        by_file.setdefault(p.file_index, []).append(p)
    for i in sorted(by_file):
        try:
            yield from _read_file_parts(plan, i, sorted(by_file[i], key=lambda p: p.start), batch_rows)
        except InputError as exc:
            if not skip_bad_files:
                raise
            plan.bad_files[plan.files[i]] = str(exc)


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


def row_columns(plan: InputPlan, part: Part, table: pa.Table, id_col: str,
                counts: dict | None = None) -> list[pa.Array]:
    """The id column (the input's, as strings, or "<file>:<row>") and the kept columns, with
    nulls where this file lacks one: what every stage's output rows start with. A null id gets
    "<file>:<row>"; a kept value that does not fit the first file's type becomes null. Both are
    counted in `counts` (null_ids, kept_cast_nulls)."""
    i = part.file_index
    generated = pa.array([f"{plan.rel_names[i]}:{r}" for r in range(part.start, part.stop)], pa.string())
    if plan.has_id[i]:
        ids = table.column(plan.id_col).cast(pa.string()).combine_chunks()
        if ids.null_count:
            if counts is not None:
                counts["null_ids"] = counts.get("null_ids", 0) + ids.null_count
            ids = pc.if_else(ids.is_null(), generated, ids)
    else:
        ids = generated
    cols = [ids]
    for f in plan.keep_schema:
        if f.name in table.column_names:
            arr, failed = cast_lenient(table.column(f.name).combine_chunks(), f.type)
            if failed and counts is not None:
                counts["kept_cast_nulls"] = counts.get("kept_cast_nulls", 0) + failed
            cols.append(arr)
        else:
            cols.append(pa.nulls(table.num_rows, f.type))
    return cols


def cast_lenient(arr: pa.Array, to: pa.DataType) -> tuple[pa.Array, int]:
    """Cast to the run's type for this column; values that cannot be cast become null (counted)
    instead of failing the run (a kept column whose type drifts between files)."""
    try:
        return arr.cast(to), 0
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        pass
    out, failed = [], 0
    for v in arr:
        try:
            out.append(v.cast(to).as_py() if v.is_valid else None)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            try:  # e.g. int -> string is not a scalar cast pyarrow offers
                out.append(pa.array([str(v.as_py())]).cast(to)[0].as_py())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                out.append(None)
                failed += 1
    return pa.array(out, to), failed


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
        "text": pa.array(decode_texts(table.column(plan.text_col).take(rows))[0], pa.string()),
        "reason": pa.array([reason for _, reason in dead], pa.string()),
    }
    for name, values in (extra or {}).items():
        cols[name] = pa.array([values.get(r) for r in rows], pa.string())
    return pa.table(cols)


def decode_texts(column) -> tuple[list[str | None], dict[int, str]]:
    """Python strings of a text column; rows holding invalid UTF-8 come back as text with the
    bad bytes replaced and are listed (row -> reason) so they can be dead-lettered, not crash."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    try:
        column.validate(full=True)
        return column.to_pylist(), {}
    except pa.ArrowInvalid:
        pass
    raw = column.cast(pa.large_binary()) if not pa.types.is_large_string(column.type) else \
        column.view(pa.large_binary())
    texts, bad = [], {}
    for i, b in enumerate(raw.to_pylist()):
        if b is None:
            texts.append(None)
            continue
        try:
            texts.append(b.decode("utf-8"))
        except UnicodeDecodeError as exc:
            texts.append(b.decode("utf-8", errors="replace"))
            bad[i] = f"invalid UTF-8 in the text ({exc.reason} at byte {exc.start})"
    return texts, bad
