"""What a run's output depends on, hashed from what is really used — one function for every engine.

* the model: the sha256 of the model file's bytes (never a hash a manifest claims), cached by
  path, size and mtime so a 400 MB model is hashed once, not on every start;
* the tokenizer, the served head, max length, backend, precision, labels (Bundle.fingerprint);
* the run's settings that change results (batching does for int8: dynamic quantization scales
  each batch);
* each input: its relative name, size and a hash of its Parquet footer (row counts, byte sizes
  and column statistics of every row group), so a file replaced by other rows of the same count
  is caught. mtime is left out on purpose: a copied or touched but identical file must resume.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading

_lock = threading.Lock()


def _cache_path() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "emopulse", "sha256.json")


def sha256_cached(path: str) -> str:
    """sha256 of a file's bytes, remembered per (real path, size, mtime_ns)."""
    real = os.path.realpath(path)
    st = os.stat(real)
    key = f"{real}|{st.st_size}|{st.st_mtime_ns}"
    cache_file = _cache_path()
    with _lock:
        try:
            with open(cache_file) as f:
                cache = json.load(f)
        except (OSError, ValueError):
            cache = {}
        if key in cache:
            return cache[key]
    from .storage import sha256

    digest = sha256(real)
    with _lock:
        try:
            os.makedirs(os.path.dirname(cache_file), exist_ok=True)
            cache = {k: v for k, v in cache.items() if not k.startswith(real + "|")}
            cache[key] = digest
            tmp = f"{cache_file}.{os.getpid()}"
            with open(tmp, "w") as f:
                json.dump(dict(list(cache.items())[-500:]), f)
            os.replace(tmp, cache_file)
        except OSError:
            pass  # a read-only home: hash again next time
    return digest


def footer_sha256(path: str) -> str:
    """Hash of a Parquet file's footer (metadata of every row group); for other formats, of the
    first and last 64 KiB. Local or in object storage."""
    from . import storage

    size = storage.size(path)
    with storage.open_input(path) as f:
        if size >= 12:
            f.seek(size - 8)
            tail = f.read(8)
            if tail[4:] == b"PAR1":
                n = int.from_bytes(tail[:4], "little")
                f.seek(max(0, size - 8 - n))
                return hashlib.sha256(f.read()).hexdigest()
        h = hashlib.sha256()
        f.seek(0)
        h.update(f.read(65536))
        f.seek(max(0, size - 65536))
        h.update(f.read())
        return h.hexdigest()


def inputs_fingerprint(files: list[str], rel_names: list[str], num_rows: list[int]) -> list:
    from . import storage

    return [[name, n, storage.size(f), footer_sha256(f)] for f, name, n in zip(files, rel_names, num_rows)]


def run_fingerprint(model: dict, plan, settings: dict) -> dict:
    """The fingerprint every engine writes and checks: the model's (Bundle.fingerprint, or an
    LLM's name and prompt), the settings that change results, and the inputs."""
    return (
        model
        | settings
        | {
            "text_col": plan.text_col,
            "id_col": plan.id_col,
            "keep_cols": [f.name for f in plan.keep_schema],
            "inputs": inputs_fingerprint(plan.files, plan.rel_names, plan.num_rows),
        }
        | ({} if getattr(plan, "encoding", "utf-8") == "utf-8" else {"encoding": plan.encoding})
    )
