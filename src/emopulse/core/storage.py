"""Where data lives: local paths or object storage (s3://, gs://, hdfs://, file://) through pyarrow.fs.

Local paths keep the POSIX guarantees the run contract was built on (write to a temporary name,
fsync, rename). On object storage an object appears whole or not at all when its PUT completes, so
a part is simply written, then recorded; nothing is renamed.

Credentials and endpoint come from the standard environment variables as pyarrow reads them
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_SESSION_TOKEN, ...), plus
AWS_ENDPOINT_URL (an S3-compatible server: MinIO, Ceph, moto), which pyarrow's S3FileSystem does not
read itself. Anything else goes in `--storage-option KEY=VALUE` (an S3FileSystem / GcsFileSystem
keyword, e.g. region=eu-west-1, anonymous=true, endpoint_override=host:port).
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import os
import re
import shutil
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

_options: dict[str, str] = {}
_cache: dict[tuple, pafs.FileSystem] = {}


def configure(options: dict | None) -> None:
    """Set the storage options of this process (the CLI's --storage-option; Ray actors repeat it)."""
    global _options
    _options = dict(options or {})
    _cache.clear()


def current_options() -> dict:
    return dict(_options)


ENV_PREFIXES = ("AWS_", "GOOGLE_", "GCS_", "HADOOP_", "ARROW_")


def environment() -> dict[str, str]:
    """The storage settings in this process's environment, for workers started elsewhere (a Ray
    cluster's workers do not share the driver's environment)."""
    return {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIXES)}


def adopt(env: dict[str, str], options: dict | None) -> None:
    """In a worker: take the driver's storage environment and options."""
    os.environ.update(env)
    configure(options)


def parse_options(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--storage-option wants KEY=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def is_remote(uri: str) -> bool:
    scheme = urlparse(str(uri)).scheme
    return len(scheme) > 1 and scheme != "file"  # "C:" is a drive, not a scheme


def local_path(uri: str) -> str:
    return urlparse(uri).path if str(uri).startswith("file://") else os.path.expanduser(str(uri))


def _value(v: str):
    low = v.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """(pyarrow filesystem, path inside it) for a remote URI."""
    u = urlparse(uri)
    opts = {k: _value(v) for k, v in _options.items()}
    key = (u.scheme, u.netloc if u.scheme == "hdfs" else "", tuple(sorted(_options.items())))
    if key not in _cache:
        if u.scheme in ("s3", "s3a"):
            endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
            if endpoint and "endpoint_override" not in opts:
                e = urlparse(endpoint if "://" in endpoint else f"https://{endpoint}")
                opts.setdefault("endpoint_override", e.netloc)
                opts.setdefault("scheme", e.scheme)
            _cache[key] = pafs.S3FileSystem(**opts)
        elif u.scheme in ("gs", "gcs"):
            _cache[key] = pafs.GcsFileSystem(**opts)
        else:
            _cache[key] = pafs.FileSystem.from_uri(uri)[0]
    path = (u.netloc + u.path).rstrip("/") if u.scheme != "hdfs" else u.path.rstrip("/")
    return _cache[key], path


_UNREACHABLE = (
    "NETWORK_CONNECTION",
    "curlCode",
    "Could not connect",
    "Connection refused",
    "Timeout was reached",
    "timed out",
    "Couldn't resolve host",
    "Could not resolve host",
    "Connection reset",
    "UNREACHABLE",
)
_DENIED = (
    "ACCESS_DENIED",
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "HTTP status 403",
    "INVALID_ACCESS_KEY_ID",
    "SIGNATURE_DOES_NOT_MATCH",
    "Forbidden",
    "MISSING_AUTHENTICATION_TOKEN",
    "ExpiredToken",
    "Unable to locate credentials",
    "No credentials",
)
_NO_BUCKET = ("NoSuchBucket", "NO_SUCH_BUCKET", "bucket does not exist", "The specified bucket does not exist")


def endpoint() -> str:
    """The object-storage endpoint in use, for messages."""
    return str(
        _options.get("endpoint_override")
        or os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
        or "the provider's default endpoint"
    )


def explain(exc: BaseException) -> str | None:
    """One line for an object-storage failure (pyarrow raises OSError with the SDK's text), naming
    what failed: the endpoint, the credentials, the bucket; None when `exc` is not one."""
    text = str(exc)
    first = text.strip().splitlines()[0][:300] if text.strip() else type(exc).__name__
    if any(k in text for k in _NO_BUCKET):
        m = re.search(r"bucket '([^']+)'", text)
        return f"bucket {m.group(1) if m else ''!r} does not exist at {endpoint()} ({first})"
    empty = [k for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if os.environ.get(k, None) == ""]
    if "AWS Error" in text and empty:
        return (
            f"object storage at {endpoint()} failed with empty credentials ({' and '.join(empty)} set to ''): "
            f"{first}; set them, or unset both for the default credential chain"
        )
    if any(k in text for k in _DENIED):
        key = os.environ.get("AWS_ACCESS_KEY_ID")
        who = "no AWS_ACCESS_KEY_ID set" if not key else f"AWS_ACCESS_KEY_ID {key[:4]}... ({len(key)} characters)"
        return f"object storage at {endpoint()} refused the credentials ({who}): {first}"
    if any(k in text for k in _UNREACHABLE):
        return (
            f"object storage endpoint {endpoint()} cannot be reached ({first}); finished parts are kept: "
            "when it answers again, rerun with --resume to continue"
        )
    if "AWS Error" in text or "GCS" in text or "google::cloud" in text:
        return f"object storage at {endpoint()} failed: {first}; finished parts are kept: rerun with --resume"
    return None


def bucket_missing(uri: str) -> str | None:
    """The bucket of a remote URI when it does not exist (for "no file found" messages), else None."""
    try:
        fs, path = filesystem(uri)
        bucket = path.split("/", 1)[0]
        if bucket and fs.get_file_info(bucket).type == pafs.FileType.NotFound:
            return bucket
    except OSError:
        return None
    return None


def join(base: str, *names: str) -> str:
    if is_remote(base):
        return "/".join([base.rstrip("/")] + [n.strip("/") for n in names if n])
    return os.path.join(base, *names)


def basename(uri: str) -> str:
    return str(uri).rstrip("/").rsplit("/", 1)[-1] if is_remote(uri) else os.path.basename(uri)


def _info(uri: str) -> pafs.FileInfo:
    fs, path = filesystem(uri)
    return fs.get_file_info(path)


def exists(uri: str) -> bool:
    if not is_remote(uri):
        return os.path.exists(local_path(uri))
    return _info(uri).type != pafs.FileType.NotFound


def isdir(uri: str) -> bool:
    if not is_remote(uri):
        return os.path.isdir(local_path(uri))
    return _info(uri).type == pafs.FileType.Directory


def isfile(uri: str) -> bool:
    if not is_remote(uri):
        return os.path.isfile(local_path(uri))
    return _info(uri).type == pafs.FileType.File


def size(uri: str) -> int:
    if not is_remote(uri):
        return os.path.getsize(local_path(uri))
    return int(_info(uri).size)


def listdir(uri: str) -> list[str]:
    """Names directly inside a directory ([] when it does not exist)."""
    if not is_remote(uri):
        p = local_path(uri)
        return sorted(os.listdir(p)) if os.path.isdir(p) else []
    fs, path = filesystem(uri)
    infos = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
    return sorted(i.base_name for i in infos)


def walk_files(uri: str) -> list[str]:
    """Every file under a remote directory, as URIs relative to it ("a/b.parquet")."""
    fs, path = filesystem(uri)
    out = []
    for i in fs.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True)):
        if i.type == pafs.FileType.File:
            out.append(i.path[len(path) :].lstrip("/"))
    return sorted(out)


def glob(pattern: str) -> list[str]:
    """A remote glob: list from the longest literal prefix, match the rest with fnmatch."""
    head = pattern.split("*")[0].split("?")[0].split("[")[0]
    base = head.rsplit("/", 1)[0]
    fs, path = filesystem(base)
    scheme_len = len(base) - len(path) if base.endswith(path) else 0
    infos = fs.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
    uris = [base[:scheme_len] + i.path for i in infos if i.type == pafs.FileType.File]
    return sorted(u for u in uris if fnmatch.fnmatchcase(u, pattern))


def open_input(uri: str):
    """A seekable binary file (local or remote) for pyarrow readers and footer hashing."""
    if not is_remote(uri):
        return open(local_path(uri), "rb")
    fs, path = filesystem(uri)
    return fs.open_input_file(path)


def parquet_file(uri: str) -> pq.ParquetFile:
    return pq.ParquetFile(local_path(uri) if not is_remote(uri) else open_input(uri))


def read_bytes(uri: str) -> bytes:
    with open_input(uri) as f:
        return f.read()


def read_json(uri: str):
    return json.loads(read_bytes(uri))


def makedirs(uri: str) -> None:
    if not is_remote(uri):
        os.makedirs(local_path(uri), exist_ok=True)
    else:
        fs, path = filesystem(uri)
        fs.create_dir(path, recursive=True)


def write_via(uri: str, write) -> None:
    """Atomic for any writer that wants a local path (polars, matplotlib, plotly, json): `write(tmp)`,
    then locally a fsync and a rename into place, remotely one PUT. A reader sees the old file or
    the new one, never half of one."""
    if not is_remote(uri):
        path = local_path(uri)
        # a dot name: dataset readers skip it, and a run that opens the dir removes leftovers
        tmp = os.path.join(os.path.dirname(path) or ".", f".{os.path.basename(path)}.tmp{os.getpid()}")
        try:
            write(tmp)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="emopulse-put-") as d:
        tmp = os.path.join(d, basename(uri))
        write(tmp)
        with open(tmp, "rb") as f:
            write_bytes(uri, f.read())


def write_bytes(uri: str, data: bytes) -> None:
    """Atomic: locally a fsynced temporary file renamed into place; remotely one PUT."""
    if not is_remote(uri):

        def write(tmp):
            with open(tmp, "wb") as f:
                f.write(data)

        return write_via(uri, write)
    fs, path = filesystem(uri)
    with fs.open_output_stream(path) as f:
        f.write(data)


def write_json(uri: str, obj) -> None:
    write_bytes(uri, json.dumps(obj, indent=2, default=str).encode())


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def write_parquet(uri: str, table: pa.Table) -> tuple[int, str]:
    """Write a table atomically; (bytes, sha256) of what was written."""
    data = parquet_bytes(table)
    write_bytes(uri, data)
    return len(data), hashlib.sha256(data).hexdigest()


def sha256(uri: str, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open_input(uri) as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def remove(uri: str) -> None:
    """Delete a file or a directory tree; missing is fine."""
    if not is_remote(uri):
        p = local_path(uri)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)
        elif os.path.lexists(p):
            os.remove(p)
        return
    fs, path = filesystem(uri)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.Directory:
        fs.delete_dir_contents(path, missing_dir_ok=True)
        try:
            fs.delete_dir(path)
        except OSError:
            pass
    elif info.type == pafs.FileType.File:
        fs.delete_file(path)


def real(uri: str) -> str:
    """A canonical name to compare locations: the real path, or the URI without a trailing slash."""
    return str(uri).rstrip("/") if is_remote(uri) else os.path.realpath(local_path(uri))


def inside(child: str, parent: str) -> bool:
    sep = "/" if is_remote(parent) else os.sep
    return child == parent or child.startswith(parent.rstrip(sep) + sep)


def scan_parquet(files: list[str]):
    """A polars LazyFrame over Parquet files, local or remote; columns missing from a file are null."""
    import polars as pl

    if not any(is_remote(f) for f in files):
        return (
            pl.scan_parquet(files, missing_columns="insert", extra_columns="ignore")
            if len(files) > 1
            else pl.scan_parquet(files[0])
        )
    import pyarrow.dataset as ds

    fs, _ = filesystem(files[0])
    paths = [filesystem(f)[1] for f in files]
    schema = pa.unify_schemas([parquet_file(f).schema_arrow for f in files])
    return pl.scan_pyarrow_dataset(ds.dataset(paths, schema=schema, format="parquet", filesystem=fs))


class output_dir:
    """`with output_dir(uri) as d:` a local directory to write into; for a remote URI a temporary
    one whose files are uploaded (each one PUT) when the block ends without error."""

    def __init__(self, uri: str):
        self.uri = uri

    def __enter__(self) -> str:
        if not is_remote(self.uri):
            os.makedirs(local_path(self.uri), exist_ok=True)
            return local_path(self.uri)
        import tempfile

        self._tmp = tempfile.mkdtemp(prefix="emopulse-out-")
        return self._tmp

    def __exit__(self, exc_type, *_):
        if not is_remote(self.uri):
            return
        try:
            if exc_type is None:
                makedirs(self.uri)
                for name in sorted(os.listdir(self._tmp)):
                    with open(os.path.join(self._tmp, name), "rb") as f:
                        write_bytes(join(self.uri, name), f.read())
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)
