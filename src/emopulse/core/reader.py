"""Comment files (Parquet, CSV, JSON Lines; local or in object storage) as a stream of
fixed-size row chunks, validated before any work starts.

Inputs are files, directories (every file of a known format inside, recursively) or globs. Each
file is cut into parts of `rows_per_part` consecutive rows; a part is the unit of output, of resume
and of the length-sorting window. Parquet is read row group by row group in record batches, so
memory depends on the part size, never on the size of a file or of the input. CSV and JSON Lines
are streamed block by block (one pass at planning counts their rows, so both passes read the same
values).

Values are read as the file writes them (issue 22): a CSV's text, id and kept columns are strings (no
"NA" / "null" / "nan" / "N/A" / "#N/A" read as missing: only an empty field is; no integer inference that
drops leading zeros), quoted values may hold newlines anywhere in the file, and a row with invalid
UTF-8 is dead-lettered on its own. A JSON Lines file whose columns change type along the file (an id
that is a number, later a string) is read line by line with those columns as their JSON text. A
Parquet text column stored as a dictionary (pandas `category`, polars `Categorical`) is decoded.
`encoding` (--encoding, e.g. cp949 for Excel on Korean Windows) transcodes CSV / JSON Lines to UTF-8.
A CSV / JSON Lines text column that is UTF-8 once read as Latin-1 and saved again (mojibake) is named in
`InputPlan.warnings`; ids that repeat are counted by `row_columns` with a `SeenIds`.
"""

from __future__ import annotations

import glob
import json
import os
import posixpath
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson

from . import storage
from .errors import InputError

# --format auto: by extension
EXTENSIONS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
FORMATS = ("auto", "parquet", "csv", "jsonl")
TEXT_BLOCK_BYTES = 1 << 22  # CSV / JSON Lines are parsed (and their types inferred) in blocks of this size


def file_format(path: str, fmt: str = "auto") -> str | None:
    if fmt != "auto":
        return fmt
    return EXTENSIONS.get(os.path.splitext(str(path))[1].lower())


@dataclass(frozen=True)
class Part:
    file_index: int
    chunk: int
    path: str
    start: int  # first row (0-based) of the file in this part
    stop: int  # one past the last row

    @property
    def name(self) -> str:
        return f"part-{self.file_index:05d}-{self.chunk:06d}"

    @property
    def n_rows(self) -> int:
        return self.stop - self.start


@dataclass
class InputPlan:
    files: list[str]  # local real paths or URIs
    rel_names: list[str]  # stable per-file names used in generated ids
    num_rows: list[int]
    text_col: str
    id_col: str | None  # None: generate ids from file and row number
    has_id: list[bool]  # per file: does it carry id_col?
    keep_schema: pa.Schema  # kept columns and their output types
    keep_present: list[list[str]]  # per file: which kept columns it has
    bad_files: dict[str, str] = field(default_factory=dict)  # skipped with --skip-bad-files
    formats: list[str] = field(default_factory=list)  # per file: parquet | csv | jsonl | jsonl-lines
    schemas: list[pa.Schema] = field(default_factory=list)  # per file, as read
    encoding: str = "utf-8"  # of CSV / JSON Lines files
    warnings: list[str] = field(default_factory=list)  # one line per suspicious file (mojibake), run anyway


def _is_run_dir(path: str) -> bool:
    """An emopulse output directory (predictions, labels): never read back as comments."""
    return storage.exists(storage.join(path, "_manifest.json"))


def _wanted(name: str, fmt: str) -> bool:
    kind = file_format(name)
    return kind is not None and (fmt == "auto" or kind == fmt)


def _walk_remote(uri: str, fmt: str) -> list[str]:
    rels = storage.walk_files(uri)
    run_dirs = {posixpath.dirname(r) for r in rels if posixpath.basename(r) == "_manifest.json"}
    out = []
    for r in rels:
        d = posixpath.dirname(r)
        if any(seg.startswith(("_", ".")) for seg in r.split("/")) or not _wanted(r, fmt):
            continue
        if any(d == rd or d.startswith(rd + "/") for rd in run_dirs):
            continue
        out.append(storage.join(uri, r))
    return out


def resolve_inputs(paths, fmt: str = "auto") -> list[str]:
    """Expand files, directories and globs into a sorted list of regular files, each once: local
    paths are resolved (symlinks, `..`) and de-duplicated by their real path, so a symlink loop or
    a link beside its target never reads a file twice; URIs by their text. Directories that hold an
    emopulse run (a _manifest.json) are skipped. In directories, only files of a known format
    (or of --format) are taken; a file named explicitly is read whatever its extension."""
    found: list[str] = []
    for raw in paths:
        path = str(raw) if storage.is_remote(raw) else storage.local_path(raw)
        remote = storage.is_remote(path)
        if storage.isdir(path) or (remote and path.endswith("/")):
            if _is_run_dir(path):
                raise InputError(f"{raw}: is an emopulse output directory (it holds _manifest.json), not comments")
            if remote:
                found += _walk_remote(path, fmt)
                continue
            for root, dirs, files in os.walk(path):  # followlinks=False: no loops
                dirs[:] = sorted(
                    d for d in dirs if not d.startswith(("_", ".")) and not _is_run_dir(os.path.join(root, d))
                )
                found += [
                    os.path.join(root, f) for f in sorted(files) if _wanted(f, fmt) and not f.startswith(("_", "."))
                ]
        elif any(ch in path for ch in "*?["):
            matches = storage.glob(path) if remote else sorted(glob.glob(path, recursive=True))
            matches = [
                m for m in matches if not _is_run_dir(posixpath.dirname(m) if remote else os.path.dirname(m) or ".")
            ]
            if not matches:
                raise InputError(f"{raw}: the glob matches no file")
            found += matches
        elif storage.isfile(path):
            found.append(path)
        else:
            bucket = storage.bucket_missing(path) if remote else None
            raise InputError(
                f"{raw}: bucket {bucket!r} does not exist (at {storage.endpoint()})"
                if bucket
                else f"{raw}: no such file or directory"
            )
    seen, files = set(), []
    for f in found:
        real = storage.real(f)
        if real in seen or not storage.isfile(real):
            continue  # a second path to the same file, or not a regular file (fifo, dir, dangling link)
        seen.add(real)
        files.append(real)
    if not files:
        for raw in paths:
            bucket = storage.bucket_missing(str(raw)) if storage.is_remote(str(raw)) else None
            if bucket:
                raise InputError(f"{raw}: bucket {bucket!r} does not exist (at {storage.endpoint()})")
        kinds = "Parquet, CSV or JSON Lines" if fmt == "auto" else fmt
        raise InputError(f"no {kinds} file found in {', '.join(map(str, paths))}")
    return files


def _rel_names(files: list[str]) -> list[str]:
    if all(storage.is_remote(f) for f in files):
        keys = [f.split("://", 1)[1] for f in files]
        root = posixpath.commonpath([posixpath.dirname(k) for k in keys])
        return [posixpath.relpath(k, root) for k in keys]
    absolute = [os.path.abspath(f) if not storage.is_remote(f) else f for f in files]
    root = os.path.commonpath([os.path.dirname(a) for a in absolute if not storage.is_remote(a)])
    return [os.path.relpath(a, root) if not storage.is_remote(a) else a for a in absolute]


def _is_scalar(t: pa.DataType) -> bool:
    return not (pa.types.is_nested(t) or pa.types.is_dictionary(t) and pa.types.is_nested(t.value_type))


def _is_string(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _is_text(t: pa.DataType) -> bool:
    """A string column, or a dictionary of strings (pandas category, polars Categorical)."""
    return _is_string(t) or pa.types.is_dictionary(t) and _is_string(t.value_type)


def is_utf8(encoding: str | None) -> bool:
    return (encoding or "utf-8").lower().replace("_", "-") in ("utf-8", "utf8")


def _native_input(path: str):
    """An Arrow-native input file. Not a Python file object: Arrow's readahead thread would call back
    into Python, and when a reader fails (its constructor raises) that thread can still be inside the
    file at interpreter exit, which aborts the process: "terminate called without an active exception",
    exit 134 in ~30 % of runs with a CSV / JSON Lines input error (issue 22; measured 7/20 -> 0/20)."""
    if storage.is_remote(path):
        return storage.open_input(path)
    return pa.OSFile(storage.local_path(path), "r")


_UTF8_COPIES: dict[tuple[str, str], str] = {}


def _utf8_copy(path: str, encoding: str) -> str:
    """A UTF-8 copy (in a temporary directory, once per process) of a file in a legacy encoding:
    decoding in Python here, not through Arrow's transcoding stream, whose callbacks into Python from
    its readahead thread can abort the process at exit like a Python file object does."""
    key = (path, encoding)
    if key not in _UTF8_COPIES:
        import atexit
        import codecs
        import shutil
        import tempfile

        tmp = tempfile.mkdtemp(prefix="emopulse-utf8-")
        atexit.register(shutil.rmtree, tmp, True)
        out = os.path.join(tmp, "utf8" + os.path.splitext(path)[1])
        dec = codecs.getincrementaldecoder(encoding)("strict")
        pos = 0
        with storage.open_input(path) as src, open(out, "w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(1 << 20):
                try:
                    dst.write(dec.decode(chunk))
                except UnicodeDecodeError as exc:
                    utf8 = pos == 0 and _decodes(chunk[: chunk.rfind(b"\n") + 1] or chunk, "utf-8")
                    raise InputError(
                        f"{path}: is not {encoding} (byte {chunk[exc.start]:#04x} at offset "
                        f"{pos + exc.start}); " + ("it is UTF-8: leave --encoding out" if utf8 else "check --encoding")
                    ) from None
                pos += len(chunk)
            dst.write(dec.decode(b"", final=True))
        _UTF8_COPIES[key] = out
    return _UTF8_COPIES[key]


def _open(opener, path: str, *args, encoding: str = "utf-8", **kw):
    f = _native_input(path if is_utf8(encoding) else _utf8_copy(path, encoding))
    try:
        return opener(f, *args, **kw)
    except BaseException:
        f.close()
        raise


def _csv_reader(path: str, columns: list[str] | None = None, encoding: str = "utf-8"):
    """A streaming CSV reader; with `columns`, only those, all as strings (as written: only an empty
    field is null). Quoted values may hold newlines (newlines_in_values: without it a value that spans
    a block boundary breaks the parse). Invalid UTF-8 is kept and dead-lettered per row later."""
    read = pacsv.ReadOptions(block_size=TEXT_BLOCK_BYTES, use_threads=False)
    conv = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in columns or []},
        include_columns=columns or [],
        null_values=[""],
        strings_can_be_null=True,
        check_utf8=False,
    )
    return _open(
        pacsv.open_csv,
        path,
        encoding=encoding,
        read_options=read,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=conv,
    )


def _jsonl_reader(path: str, schema: pa.Schema | None = None, encoding: str = "utf-8"):
    opts = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore") if schema else None

    return _open(
        pajson.open_json,
        path,
        encoding=encoding,
        parse_options=opts,
        read_options=pajson.ReadOptions(block_size=TEXT_BLOCK_BYTES, use_threads=False),
    )


SAMPLE = 1000  # non-ASCII texts a CSV / JSON Lines file is checked on for mojibake and a wrong --encoding


def _drain(reader, sample: list | None = None, text_col: str = "") -> int:
    """Rows of a streaming reader, closed whatever happens: a reader left open when an error unwinds
    keeps an Arrow thread alive until interpreter exit, which then aborts ("terminate called without
    an active exception", exit 134 in ~25 % of failing runs; issue 22). With `sample`: the first SAMPLE
    non-ASCII texts of `text_col` from anywhere in the file are appended to it (a file whose first
    thousand rows are English once hid its Korean rows from the encoding checks)."""
    n = kept = 0
    with reader:
        for b in reader:
            n += b.num_rows
            if sample is None or kept >= SAMPLE or text_col not in b.schema.names:
                continue
            col = b.column(text_col)
            if _is_string(col.type):
                wide = col.filter(pc.invert(pc.fill_null(pc.string_is_ascii(col), True))).slice(0, SAMPLE - kept)
                sample.append(wide)
                kept += len(wide)
    return n


def _lines(path: str, encoding: str):
    """(line number, raw bytes) of the non-blank lines of a JSON Lines file, as UTF-8."""
    with _native_input(path if is_utf8(encoding) else _utf8_copy(path, encoding)) as stream:
        rest, k = b"", 0
        while True:
            chunk = stream.read(1 << 20)
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop() if chunk else b""
            for line in lines:
                k += 1
                if k == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]  # a BOM
                if line.strip():
                    yield k, line
            if not chunk:
                break


def _json_text(v) -> str | bytes | None:
    """A JSON value as the text the file holds: strings as they are (bytes, so invalid UTF-8 is
    dead-lettered per row), other values as their JSON text."""
    if v is None:
        return None
    if isinstance(v, str):
        return v.encode("utf-8", "surrogateescape")
    return json.dumps(v, ensure_ascii=False)


def _jsonl_lines_batches(path: str, columns: list[str], encoding: str, rows: int = 8192):
    """Record batches of the given columns (strings, as written) of a JSON Lines file parsed line by
    line: the path for files whose columns change type along the file, which Arrow's reader refuses."""
    buf: dict[str, list] = {c: [] for c in columns}

    def flush():
        arrays = [
            pa.array([v if isinstance(v, bytes) or v is None else v.encode() for v in buf[c]], pa.binary()).view(
                pa.string()
            )
            for c in columns
        ]
        for c in columns:
            buf[c].clear()
        return pa.RecordBatch.from_arrays(arrays, names=columns)

    for k, line in _lines(path, encoding):
        try:
            obj = json.loads(line.decode("utf-8", "surrogateescape"))
        except ValueError as exc:
            raise InputError(f"{path}: line {k} is not JSON ({exc})") from exc
        if not isinstance(obj, dict):
            raise InputError(f"{path}: line {k} is a JSON {type(obj).__name__}, not an object")
        for c in columns:
            buf[c].append(_json_text(obj.get(c)))
        if len(buf[columns[0]]) >= rows:
            yield flush()
    if buf[columns[0]]:
        yield flush()


def _scan_jsonl_lines(path: str, encoding: str) -> tuple[pa.Schema, int]:
    """(schema: every key of the file as a string column, rows) by parsing each line."""
    keys: dict[str, None] = {}
    n = 0
    for k, line in _lines(path, encoding):
        try:
            obj = json.loads(line.decode("utf-8", "surrogateescape"))
        except ValueError as exc:
            raise InputError(f"{path}: line {k} is not JSON ({exc})") from exc
        if isinstance(obj, dict):
            keys.update(dict.fromkeys(obj))
        n += 1
    return pa.schema([pa.field(c, pa.string()) for c in keys]), n


def _raise_storage(exc: BaseException) -> None:
    """An object-storage failure (endpoint, credentials) is not a bad file: StorageError, exit 15."""
    why = storage.explain(exc) if isinstance(exc, OSError) else None
    if why and "does not exist" not in why:
        from .errors import StorageError

        raise StorageError(why) from None


def _not_utf8(path: str, encoding: str) -> str | None:
    """A reason to refuse a file that is not UTF-8 at all (a cp949 / EUC-KR export), from its first
    64 KiB: its header line, or at least 2 and a fifth of its lines, are not valid UTF-8. A few bad rows
    in a UTF-8 file are dead-lettered instead."""
    if not is_utf8(encoding):
        return None
    with storage.open_input(path) as f:
        head = f.read(1 << 16)
    lines = head.split(b"\n")
    if len(head) == 1 << 16 and len(lines) > 1:
        lines = lines[:-1]  # cut mid-line
    bad = 0
    for ln in lines:
        try:
            ln.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
    if not bad or (bad < 2 or bad * 5 < len(lines)) and _decodes(lines[0], "utf-8"):
        return None
    try:
        b"\n".join(lines).decode("cp949")
        guess = "it reads as cp949 (Korean Windows / Excel): try --encoding cp949"
    except UnicodeDecodeError:
        guess = "pass its encoding with --encoding (e.g. cp949, euc-kr, utf-16)"
    return f"is not UTF-8 ({bad} of its first {len(lines)} lines are not valid UTF-8); {guess}"


def _decodes(b: bytes, encoding: str) -> bool:
    try:
        b.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


# cp1252's characters for bytes 0x80-0x9F mapped back to those bytes' Latin-1 code points, so one
# .encode("latin-1") undoes a decode as Latin-1 and as cp1252 (Windows, Excel) alike
_CP1252 = {ord(bytes([b]).decode("cp1252")): b for b in range(0x80, 0xA0) if _decodes(bytes([b]), "cp1252")}


def _utf8_read_as_latin1(texts, n: int = SAMPLE) -> tuple[list[tuple[str, str]], int]:
    """((text, the UTF-8 it turns back into) for each that does, non-ASCII texts) among the first `n`
    non-ASCII texts of `texts` (an Arrow string array or None)."""
    if texts is None or not _is_string(texts.type):
        return [], 0
    rows = [t for t in decode_texts(texts)[0] if t and not t.isascii()][:n]
    fixed = []
    for t in rows:
        try:
            fixed.append((t, t.translate(_CP1252).encode("latin-1").decode("utf-8")))
        except UnicodeError:
            pass
    return fixed, len(rows)


def _wrong_encoding(path: str, texts, encoding: str) -> tuple[str, bool] | None:
    """(why, whole file) when a file read with a single-byte `encoding` (--encoding latin-1, cp1252 ...)
    is UTF-8: its texts then read as mojibake ('좋아' -> 'ì¢\x8bì\x95\x84'). Whole: every sampled
    non-ASCII text (at least 2) is UTF-8, so the flag is wrong (an error before work starts); otherwise
    a mixed file (a warning) when at least a fifth of them are, or at least 2 turn into text beyond
    U+07FF (Hangul, CJK: 3-byte UTF-8, which Latin-1 prose does not form by chance)."""
    fixed, n = _utf8_read_as_latin1(texts)
    wide = sum(any(ord(c) > 0x7FF for c in g) for _, g in fixed)
    if len(fixed) < 2 or (len(fixed) * 5 < n and wide < 2):
        return None
    bad, good = next(((t, g) for t, g in fixed if not g.isascii()), fixed[0])
    if len(fixed) == n:
        return (
            f"is UTF-8, not {encoding}: read as {encoding} all {n} of its first non-ASCII texts are mojibake "
            f"(e.g. {bad[:16]!r} is {good[:8]!r}); leave --encoding out",
            True,
        )
    return (
        f"mixes encodings: read as {encoding}, {len(fixed)} of its first {n} non-ASCII texts are UTF-8 "
        f"(e.g. {bad[:16]!r} is {good[:8]!r}); repair it, then read the repaired file without --encoding: "
        f"pip install ftfy && ftfy -e {encoding} -o "
        f"{posixpath.join(posixpath.dirname(path), 'fixed-' + posixpath.basename(path))} {path}",
        False,
    )


def _mojibake(path: str, texts, n: int = 1000) -> str | None:
    """Why a text column looks like UTF-8 that was once decoded as Latin-1 / cp1252 and saved again as
    UTF-8 ('좋아' -> 'ì¢\\x8bì\\x95\\x84'): valid UTF-8, so nothing else notices, and the model reads noise.
    From the first `n` non-ASCII texts of the file: at least 2, and a fifth, of those with non-ASCII
    characters turn back into whole UTF-8. Genuine accented text (café, Müller, “quotes”) does not: its
    accented letters and quotes are not followed by the U+0080..U+00BF characters that would make them whole
    UTF-8."""
    fixed, n_rows = _utf8_read_as_latin1(texts, n)
    if len(fixed) < 2 or len(fixed) * 5 < n_rows:
        return None
    codec = "cp1252" if any(ord(c) > 0xFF for t, _ in fixed for c in t) else "latin-1"
    bad, good = next(((t, g) for t, g in fixed if not g.isascii()), fixed[0])
    mixed = f", the other {n_rows - len(fixed)} are not: a mixed file" if len(fixed) < n_rows else ""
    out = posixpath.join(posixpath.dirname(path), "fixed-" + posixpath.basename(path))
    # ftfy (a library) and not a codec: iconv / .encode('cp1252') fail on Windows mojibake, whose undefined
    # bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D: in 이 = EC 9D B4) became C1 controls, and on mixed files
    return (
        f"looks like mojibake, UTF-8 once read as {codec} ({len(fixed)} of its first {n_rows} non-ASCII "
        f"texts{mixed}; e.g. {bad[:16]!r} is {good[:8]!r}); repair it and rerun: pip install ftfy && ftfy -o "
        f"{out} {path} (it mends the broken texts and keeps the good ones; one value: ftfy.fix_text(text))"
    )


def _scan_text(
    path: str, fmt: str, text_col: str, encoding: str = "utf-8", sample: list | None = None
) -> tuple[pa.Schema, int, str]:
    """(schema, rows, format) of a CSV / JSON Lines file in one streaming pass (its first non-ASCII texts
    appended to `sample`: what `_mojibake` and `_wrong_encoding` read). CSV columns are strings; a JSON Lines file Arrow cannot
    read whole (types that change along the file, a text that is a number) is read line by line
    ("jsonl-lines") with its columns as their JSON text."""
    reason = _not_utf8(path, encoding)
    if reason:
        raise InputError(f"{path}: {reason}")
    if fmt == "jsonl":
        try:
            reader = _jsonl_reader(path, encoding=encoding)
            n = _drain(reader, sample, text_col)
            t = reader.schema.field(text_col).type if text_col in reader.schema.names else None
            if t is None or _is_string(t) or pa.types.is_null(t):
                return reader.schema, n, fmt
        except pa.ArrowInvalid as exc:
            if "changed from" not in str(exc) and "conversion" not in str(exc).lower():
                raise
        schema, n = _scan_jsonl_lines(path, encoding)
        return schema, n, "jsonl-lines"
    with _csv_reader(path, encoding=encoding) as header:  # the header (and first block)
        names = header.schema.names
    schema = pa.schema([pa.field(c, pa.string()) for c in names])
    if text_col not in names or len(set(names)) < len(names):
        return schema, 0, fmt
    return schema, _drain(_csv_reader(path, [text_col], encoding), sample, text_col), fmt


def plan_inputs(
    paths,
    text_col: str,
    id_col: str | None = None,
    keep_cols=(),
    skip_bad_files: bool = False,
    fmt: str = "auto",
    encoding: str = "utf-8",
) -> InputPlan:
    """Open every file (Parquet: its footer; CSV/JSON Lines: one streaming pass) and check the
    columns; raise InputError naming file and column. `id_col` None: the column "id" where a file has
    one, else generated ids; "": generated ids ("<file>:<row>") for every row; a named `id_col` must be
    in every file (a typo would silently replace the real ids with generated ones). `encoding`: of CSV /
    JSON Lines files (a Python codec name); EmopulseError when Python does not know it."""
    import codecs

    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    try:
        codecs.lookup(encoding or "utf-8")
    except LookupError:
        from .errors import EmopulseError

        raise EmopulseError(
            f"--encoding {encoding!r} is not an encoding Python knows (e.g. utf-8, cp949, euc-kr)"
        ) from None
    explicit_id, generate = bool(id_col), id_col == ""
    id_col = id_col or "id"
    files = resolve_inputs(paths, fmt)
    good, rows, schemas, formats, bad, warnings = [], [], [], [], {}, []
    for f in files:
        kind = file_format(f, fmt) or "parquet"  # an explicitly named file without a known extension
        texts: list = []  # CSV / JSON Lines: non-ASCII texts met on the pass that counts the rows (Parquet: none)
        try:
            if kind == "parquet":
                pf = storage.parquet_file(f)
                schema, n = pf.schema_arrow, pf.metadata.num_rows
            else:
                schema, n, kind = _scan_text(f, kind, text_col, encoding, texts)
            problem = None
            dup = sorted({c for c in schema.names if schema.names.count(c) > 1})
            if dup:
                problem = f"has more than one column named {', '.join(map(repr, dup))}"
            elif text_col not in schema.names:
                problem = f"has no text column {text_col!r} (columns: {', '.join(schema.names)})"
            elif (
                not _is_text(schema.field(text_col).type)
                and n > 0
                and not pa.types.is_null(schema.field(text_col).type)
            ):
                problem = f"text column {text_col!r} is {schema.field(text_col).type}, not a string"
            elif explicit_id and id_col not in schema.names:
                problem = (
                    f"has no id column {id_col!r} named by --id-col (columns: {', '.join(schema.names)}); "
                    "leave --id-col out for generated '<file>:<row>' ids"
                )
            elif id_col in schema.names and not _is_scalar(schema.field(id_col).type):
                problem = f"id column {id_col!r} is {schema.field(id_col).type}; ids must be scalars (string, integer)"
        except InputError as exc:
            problem = str(exc).removeprefix(f"{f}: ")
        except UnicodeError as exc:
            problem = f"cannot be decoded as {encoding} ({exc})"
        except (OSError, pa.ArrowException) as exc:
            _raise_storage(exc)
            problem = f"cannot be read as {kind} ({exc})"
        sample = pa.concat_arrays(texts) if not problem and texts else None
        wrong = None if is_utf8(encoding) else _wrong_encoding(f, sample, encoding)
        if wrong and wrong[1]:  # a UTF-8 file read with a wrong --encoding: every text would be noise
            problem = wrong[0]
        if problem:
            if not skip_bad_files:
                raise InputError(f"{f}: {problem}")
            bad[f] = problem
            continue
        good.append(f)
        rows.append(n)
        schemas.append(schema)
        formats.append(kind)
        if wrong:
            warnings.append(f"{f}: {wrong[0]}")
        elif is_utf8(encoding) and (why := _mojibake(f, sample)):
            warnings.append(f"{f}: text column {text_col!r} {why}")
    if not good:
        raise InputError("every input file is bad: " + "; ".join(f"{k}: {v}" for k, v in bad.items()))

    keep_fields = []
    for col in keep_cols:
        owners = [s for s in schemas if col in s.names]
        if not owners:
            raise InputError(
                f"kept column {col!r} is in none of the input files "
                f"(first file {good[0]} has: {', '.join(schemas[0].names)})"
            )
        t = owners[0].field(col).type
        keep_fields.append(pa.field(col, pa.large_string() if _is_text(t) else t))
    return InputPlan(
        files=good,
        rel_names=_rel_names(good),
        num_rows=rows,
        text_col=text_col,
        id_col="" if generate else id_col,
        has_id=[not generate and id_col in s.names for s in schemas],
        keep_schema=pa.schema(keep_fields),
        keep_present=[[c for c in keep_cols if c in s.names] for s in schemas],
        bad_files=bad,
        formats=formats,
        schemas=schemas,
        encoding=encoding or "utf-8",
        warnings=warnings,
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


def _batches(plan: InputPlan, i: int, cols: list[str], parts: list[Part], batch_rows: int):
    """(first row, record batch) of file i from the first row any of `parts` needs; Parquet row
    groups that hold none of their rows are not read."""
    path, fmt = plan.files[i], plan.formats[i] if plan.formats else "parquet"
    if fmt == "parquet":
        pf = storage.parquet_file(path)
        lo = 0
        for k in range(pf.metadata.num_row_groups):
            hi = lo + pf.metadata.row_group(k).num_rows
            if any(p.start < hi and p.stop > lo for p in parts):
                pos = lo
                for batch in pf.iter_batches(batch_size=batch_rows, row_groups=[k], columns=cols, use_threads=False):
                    yield pos, batch
                    pos += batch.num_rows
            lo = hi
        return
    if fmt == "jsonl-lines":
        for pos, batch in _positions(_jsonl_lines_batches(path, cols, plan.encoding, batch_rows)):
            yield pos, batch
        return
    if fmt == "csv":
        reader = _csv_reader(path, cols, plan.encoding)
    else:
        schema = plan.schemas[i]
        reader = _jsonl_reader(path, pa.schema([schema.field(c) for c in cols]), plan.encoding)
    with reader:
        for pos, batch in _positions(reader):
            yield pos, batch.select(cols)


def _positions(batches):
    pos = 0
    for batch in batches:
        yield pos, batch
        pos += batch.num_rows


def _read_file_parts(plan: InputPlan, i: int, parts: list[Part], batch_rows: int):
    path = plan.files[i]
    cols = [plan.text_col] + ([plan.id_col] if plan.has_id[i] else []) + plan.keep_present[i]
    cols = list(dict.fromkeys(cols))
    pending, buf = list(parts), []
    batches = _batches(plan, i, cols, parts, batch_rows)
    try:
        for b_lo, batch in batches:
            while pending and batch.num_rows:
                part = pending[0]
                if b_lo + batch.num_rows <= part.start:
                    break  # the whole batch lies before the next wanted part
                if b_lo < part.start:
                    batch, b_lo = batch.slice(part.start - b_lo), part.start
                take = min(part.stop - b_lo, batch.num_rows)
                buf.append(batch.slice(0, take))
                batch, b_lo = batch.slice(take), b_lo + take
                if b_lo >= part.stop:
                    yield part, _decoded(pa.Table.from_batches(buf).combine_chunks(), plan.text_col)
                    buf = []
                    pending.pop(0)
            if not pending:
                return
    except UnicodeError as exc:
        raise InputError(f"{path}: cannot be decoded as {plan.encoding} ({exc})") from None
    except (OSError, pa.ArrowException) as exc:
        _raise_storage(exc)
        raise InputError(f"{path}: failed while reading ({exc})") from None
    finally:
        batches.close()  # the file's reader closes now, not at exit (see _drain)
    if pending:
        raise InputError(f"{path}: ended before row {pending[0].stop}; it changed since the run was planned")


def _decoded(table: pa.Table, text_col: str) -> pa.Table:
    """The text column as plain strings (a Parquet dictionary column: pandas category, polars Categorical)."""
    col = table.column(text_col)
    if pa.types.is_dictionary(col.type):
        table = table.set_column(
            table.schema.get_field_index(text_col), text_col, col.combine_chunks().dictionary_decode()
        )
    return table


def _valid(arr: pa.Array) -> pa.Array:
    """A string array with invalid UTF-8 (a CSV read unchecked) repaired with U+FFFD: ids, kept columns."""
    if not _is_string(arr.type):
        return arr
    try:
        arr.validate(full=True)
        return arr
    except pa.ArrowInvalid:
        raw = arr.cast(pa.large_binary()).to_pylist()
        return pa.array([None if b is None else b.decode("utf-8", "replace") for b in raw], arr.type)


class SeenIds:
    """The input ids read so far, to count rows whose id an earlier row has (a join back by id would
    pair them wrongly): 64-bit hashes (polars, ~30 ns an id) in sorted numpy runs that merge like a
    binary counter, 8 bytes an id (a Python set of the same hashes took 69 bytes an id, measured on 1M)."""

    def __init__(self):
        self.runs: list = []

    def repeats(self, ids: pa.Array):
        """Positions in `ids` whose id came earlier, in `ids` or in the ids of an earlier call."""
        import numpy as np
        import polars as pl

        h = pl.from_arrow(ids).hash(0).to_numpy()
        uniq, first = np.unique(h, return_index=True)
        again = np.ones(len(h), bool)
        again[first] = False
        old = np.zeros(len(uniq), bool)
        for run in self.runs:
            old |= run[np.searchsorted(run, uniq).clip(max=len(run) - 1)] == uniq
        again[first[old]] = True
        run = uniq[~old]
        if not len(run):  # every id of this call came before (an input repeated whole): no empty run
            return np.flatnonzero(again)
        # runs are disjoint, so a merge is a stable sort of two sorted runs, which timsort does in linear
        # time (3M ids: 14 ms; np.union1d, which sorts again to drop repeats: 2.3 s)
        while self.runs and len(self.runs[-1]) <= len(run):
            run = np.sort(np.concatenate([self.runs.pop(), run]), kind="stable")
        self.runs.append(run)
        return np.flatnonzero(again)

    def count(self, ids: pa.Array, counts: dict, file: str) -> None:
        """Count the rows of `ids` (from input `file`) whose id came earlier into `counts`:
        duplicate_ids, and for the first one first_duplicate_id, first_duplicate_file."""
        again = self.repeats(ids)
        if len(again):
            if not counts.get("duplicate_ids"):
                counts["first_duplicate_id"], counts["first_duplicate_file"] = ids[int(again[0])].as_py(), file
            counts["duplicate_ids"] = counts.get("duplicate_ids", 0) + len(again)


def row_columns(
    plan: InputPlan, part: Part, table: pa.Table, id_col: str, counts: dict | None = None, seen: SeenIds | None = None
) -> list[pa.Array]:
    """The id column (the input's, as strings, or "<file>:<row>") and the kept columns, with
    nulls where this file lacks one: what every stage's output rows start with. A null id gets
    "<file>:<row>"; a kept value that does not fit the first file's type becomes null. Both are
    counted in `counts` (null_ids, kept_cast_nulls); with `seen`, so are the rows whose input id an
    earlier row has (duplicate_ids, and the first one: first_duplicate_id, first_duplicate_file)."""
    i = part.file_index
    generated = pa.array([f"{plan.rel_names[i]}:{r}" for r in range(part.start, part.stop)], pa.string())
    if plan.has_id[i]:
        ids = _valid(table.column(plan.id_col).combine_chunks())
        ids = ids.dictionary_decode() if pa.types.is_dictionary(ids.type) else ids
        if pa.types.is_floating(ids.type):  # pandas writes a missing id of a float column as NaN, not null
            ids = pc.if_else(pc.is_nan(ids), pa.scalar(None, ids.type), ids)
        ids = ids.cast(pa.string())
        if ids.null_count:
            if counts is not None:
                counts["null_ids"] = counts.get("null_ids", 0) + ids.null_count
            ids = pc.if_else(ids.is_null(), generated, ids)
        if seen is not None and counts is not None:
            seen.count(ids, counts, plan.files[i])
    else:
        ids = generated
    cols = [ids]
    for f in plan.keep_schema:
        if f.name in table.column_names:
            arr, failed = cast_lenient(_valid(table.column(f.name).combine_chunks()), f.type)
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


def dead_table(
    plan: InputPlan,
    part: Part,
    table: pa.Table,
    ids,
    dead: list[tuple[int, str]],
    id_col: str,
    extra: dict | None = None,
) -> pa.Table | None:
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
    raw = (
        column.cast(pa.large_binary()) if not pa.types.is_large_string(column.type) else column.view(pa.large_binary())
    )
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
