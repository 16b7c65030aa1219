"""Exactly-once output parts.

An output directory holds `part-*.parquet` files (the predictions, readable as one Parquet
dataset) and, under names that dataset readers skip (leading `_`), the bookkeeping:
  _manifest.json   fingerprint of the run and the finished parts
  _summary.json    figures of the last run
  _lock            held (flock) while a run writes here
  _deadletter/     rows that could not be processed, with the reason
  _tmp/            parts being written

A part is written under _tmp/, fsynced, renamed into place, and only then recorded in the
manifest (itself replaced atomically). After a kill at any moment, a part is either recorded and
complete, or not recorded and recomputed on resume (its file, if the rename happened, is simply
overwritten with identical content).
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time

import pyarrow as pa

from .errors import OutputError
import pyarrow.parquet as pq

MANIFEST = "_manifest.json"
SUMMARY = "_summary.json"
LOCK = "_lock"
DEADLETTER = "_deadletter"
TMP = "_tmp"




def write_json_atomic(path: str, obj) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, default=str)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_parquet_atomic(table: pa.Table, path: str, tmp_dir: str) -> None:
    os.makedirs(tmp_dir, exist_ok=True)
    tmp = os.path.join(tmp_dir, os.path.basename(path) + f".{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


class OutputDir:
    """An output directory opened for one run: locked, fingerprint checked, parts tracked."""

    def __init__(self, path: str, fingerprint: dict, resume: bool = False, overwrite: bool = False):
        self.path = path
        self.fingerprint = fingerprint
        try:
            os.makedirs(path, exist_ok=True)
            self._lock_file = open(os.path.join(path, LOCK), "a+")
        except OSError as exc:
            raise OutputError(f"{path}: cannot write the output directory ({exc})") from exc
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise OutputError(f"{path}: another run is writing to this output directory") from None
        try:
            self._open(resume, overwrite)
        except Exception:
            self.close()
            raise

    def _open(self, resume: bool, overwrite: bool) -> None:
        manifest_path = os.path.join(self.path, MANIFEST)
        existing = [f for f in os.listdir(self.path) if f.startswith("part-")]
        if os.path.exists(manifest_path) and not overwrite:
            with open(manifest_path) as f:
                old = json.load(f)
            if not resume:
                raise OutputError(f"{self.path}: holds the output of an earlier run; "
                                  "pass --resume to continue it or --overwrite to start again")
            if old.get("fingerprint") != self.fingerprint:
                diff = sorted(k for k in set(old.get("fingerprint", {})) | set(self.fingerprint)
                              if old.get("fingerprint", {}).get(k) != self.fingerprint.get(k))
                raise OutputError(f"{self.path}: was written with another model or settings "
                                  f"(differs in: {', '.join(diff)}); pass --overwrite to start again")
            self.manifest = old
        else:
            if existing and not overwrite:
                raise OutputError(f"{self.path}: holds part files but no {MANIFEST}; "
                                  "pass --overwrite to replace them")
            for name in existing + [MANIFEST, SUMMARY, DEADLETTER, TMP]:
                target = os.path.join(self.path, name)
                if os.path.isdir(target):
                    shutil.rmtree(target)
                elif os.path.exists(target):
                    os.remove(target)
            self.manifest = {"fingerprint": self.fingerprint, "parts": {},
                             "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            write_json_atomic(manifest_path, self.manifest)
        shutil.rmtree(os.path.join(self.path, TMP), ignore_errors=True)

    @property
    def finished(self) -> set[str]:
        return set(self.manifest["parts"])

    def commit(self, name: str, table: pa.Table, info: dict, dead: pa.Table | None = None) -> None:
        """Write one part (and its dead-letter rows) and record it; the order makes it exactly-once."""
        tmp_dir = os.path.join(self.path, TMP)
        if dead is not None and dead.num_rows:
            os.makedirs(os.path.join(self.path, DEADLETTER), exist_ok=True)
            write_parquet_atomic(dead, os.path.join(self.path, DEADLETTER, f"{name}.parquet"), tmp_dir)
        write_parquet_atomic(table, os.path.join(self.path, f"{name}.parquet"), tmp_dir)
        self.manifest["parts"][name] = info
        write_json_atomic(os.path.join(self.path, MANIFEST), self.manifest)

    def commit_recorded(self) -> None:
        """Persist the manifest after parts written elsewhere (Ray workers) were added to it."""
        write_json_atomic(os.path.join(self.path, MANIFEST), self.manifest)

    def write_summary(self, summary: dict) -> None:
        write_json_atomic(os.path.join(self.path, SUMMARY), summary)

    def close(self) -> None:
        shutil.rmtree(os.path.join(self.path, TMP), ignore_errors=True)
        if not self._lock_file.closed:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
