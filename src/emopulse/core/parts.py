"""The run contract: exactly-once output parts, shared by every engine (local and Ray serve-batch,
label).

An output directory holds `part-*.parquet` files (the predictions, readable as one Parquet
dataset) and, under names that dataset readers skip (leading `_`), the bookkeeping:
  _manifest.json   the run's fingerprint, its planned parts, and the finished ones (compacted)
  _journal.jsonl   part records appended as parts finish (O(1) per part; folded into the
                   manifest when a run ends); on object storage, which cannot append, one
                   object per record under _journal/
  _summary.json    the whole output's totals (from the part records, whichever invocation wrote
                   them), this invocation's own figures, and every finished invocation's
  _SUCCESS         written when every planned part is finished (the Spark/Hadoop convention)
  _lock            held (flock) while a run writes here
  _deadletter/     rows that could not be processed, with the reason
  .<name>.tmp<pid> a file being written (local; a run that opens the dir removes leftovers)

A part is written under a temporary dot name, fsynced, renamed into place (on object storage: one PUT, which is
atomic), and only then recorded (with its row count, byte size and sha256). On object storage
there is no lock: one run writes to an output prefix at a time. After a kill at any moment a part is either recorded and complete,
or not recorded and recomputed on resume. On resume every recorded part is verified (size and
checksum): a missing, truncated or altered part is recomputed and reported.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from . import schema, storage
from .errors import OutputError, Terminated

MANIFEST = "_manifest.json"
JOURNAL = "_journal.jsonl"
JOURNAL_DIR = "_journal"  # object storage: one record per object
SUMMARY = "_summary.json"
SUCCESS = "_SUCCESS"
LOCK = "_lock"
DEADLETTER = "_deadletter"
TMP = "_tmp"  # used by earlier versions; removed when a run opens
VERSION = 2


PART_NAME = re.compile(r"part-\d{5}-\d{6}\.parquet")


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


@dataclass
class PartRecord:
    """One finished part, as the manifest records it."""

    name: str
    rows: int
    bytes: int
    sha256: str
    file: str = ""  # the input file (relative name) the rows come from
    start: int = 0
    stop: int = 0
    dead_rows: int = 0
    dead_bytes: int = 0
    dead_sha256: str | None = None
    engine: str = "local"
    statuses: dict[str, int] | None = None  # rows per `status` value (None: recorded by an earlier version)

    @classmethod
    def from_dict(cls, d: dict) -> PartRecord:
        """From JSON (a journal line, the manifest, a Ray actor's record); ValueError when a field is
        missing or wrong."""
        try:
            return cls(
                name=str(d["name"]),
                rows=int(d["rows"]),
                bytes=int(d["bytes"]),
                sha256=str(d["sha256"]),
                file=str(d.get("file") or ""),
                start=int(d.get("start") or 0),
                stop=int(d.get("stop") or 0),
                dead_rows=int(d.get("dead_rows") or 0),
                dead_bytes=int(d.get("dead_bytes") or 0),
                dead_sha256=None if d.get("dead_sha256") is None else str(d["dead_sha256"]),
                engine=str(d.get("engine") or "local"),
                statuses=None if d.get("statuses") is None else {str(k): int(v) for k, v in d["statuses"].items()},
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"bad part record {d!r}") from exc


@dataclass
class RunManifest:
    fingerprint: dict
    planned: list[str] = field(default_factory=list)
    parts: dict[str, PartRecord] = field(default_factory=dict)
    created: str = field(default_factory=now)
    version: int = VERSION

    def to_json(self) -> dict:
        return {
            "version": self.version,
            "created": self.created,
            "fingerprint": self.fingerprint,
            "planned": self.planned,
            "parts": {k: asdict(v) for k, v in self.parts.items()},
        }

    @classmethod
    def load(cls, path: str) -> RunManifest:
        try:
            d = storage.read_json(path)
            if not isinstance(d, dict) or not isinstance(d.get("fingerprint"), dict):
                raise ValueError("no fingerprint")
            parts = {k: PartRecord.from_dict(v | {"name": k}) for k, v in (d.get("parts") or {}).items()}
            return cls(
                d["fingerprint"], list(d.get("planned") or []), parts, d.get("created", ""), int(d.get("version", 1))
            )
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise OutputError(f"{path}: unreadable run manifest ({exc}); pass --overwrite to start again") from exc


def status_counts(table: pa.Table) -> dict[str, int] | None:
    """Rows per value of the table's `status` column (None when it has none)."""
    if schema.STATUS_COL not in table.column_names:
        return None
    counts = pc.value_counts(table.column(schema.STATUS_COL).combine_chunks()).to_pylist()
    return {v["values"]: v["counts"] for v in counts if v["values"] is not None}


def write_part(out_dir: str, name: str, table: pa.Table, dead: pa.Table | None = None, **where) -> PartRecord:
    """Write one part (and its dead-letter rows) atomically; the caller records the result.
    The same function for the local writer thread and for Ray actors."""
    dead_rows, dead_bytes, dead_sha = 0, 0, None
    if dead is not None and dead.num_rows:
        storage.makedirs(storage.join(out_dir, DEADLETTER))
        dead_bytes, dead_sha = storage.write_parquet(storage.join(out_dir, DEADLETTER, f"{name}.parquet"), dead)
        dead_rows = dead.num_rows
    size, digest = storage.write_parquet(storage.join(out_dir, f"{name}.parquet"), table)
    return PartRecord(
        name=name,
        rows=table.num_rows,
        bytes=size,
        sha256=digest,
        dead_rows=dead_rows,
        dead_bytes=dead_bytes,
        dead_sha256=dead_sha,
        statuses=status_counts(table),
        **where,
    )


def fingerprint_diff(old: dict, new: dict) -> str:
    out = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k), new.get(k)
        if a != b:
            sa, sb = json.dumps(a, default=str), json.dumps(b, default=str)
            out.append(f"{k}: {sa} -> {sb}" if len(sa) + len(sb) < 160 else k)
    return "; ".join(out)


def check_disjoint(output: str, input_files: list[str], input_roots: list[str] = ()) -> None:
    """Outputs never touch inputs: refuse an output dir that is, contains or is inside an input."""
    out = storage.real(output)
    for f in input_files:
        if storage.inside(storage.real(f), out):
            raise OutputError(f"{output}: holds the input file {f}; write the output somewhere else")
    for root in input_roots:
        r = storage.real(root)
        if storage.is_remote(root) == storage.is_remote(output) and storage.inside(out, r) and storage.isdir(root):
            raise OutputError(
                f"{output}: is inside the input directory {root}; a later run would read the "
                "predictions back as comments. Write the output somewhere else"
            )


class OutputDir:
    """An output directory opened for one run: locked, fingerprint checked, parts verified and tracked.
    Local or on object storage (see core.storage)."""

    def __init__(
        self,
        path: str,
        fingerprint: dict,
        resume: bool = False,
        overwrite: bool = False,
        planned: list[str] | None = None,
        inputs: list[str] = (),
        input_roots: list[str] = (),
    ):
        self.path = path
        self.remote = storage.is_remote(path)
        self.fingerprint = fingerprint
        self.repaired: list[str] = []
        self.started, self._t0 = now(), time.perf_counter()
        self.recorded: list[PartRecord] = []  # this invocation's parts
        self.finished_summary = False
        self._lock_file = self._journal = None
        check_disjoint(path, list(inputs), list(input_roots))
        if storage.isdir(path) and not storage.exists(self._at(MANIFEST)):
            _refuse_strangers(path, [f for f in storage.listdir(path) if f.startswith("part-")])
        try:
            storage.makedirs(path)
            if not self.remote:
                self._lock_file = self._take_lock()
        except OSError as exc:
            raise OutputError(f"{path}: cannot write the output directory ({exc})") from exc
        try:
            self._open(resume, overwrite, list(planned or []))
            self._open_journal()
        except Exception:
            self.close()
            raise

    def _take_lock(self):
        """flock on _lock. A run removes _lock when it closes, so a lock taken on a file that was
        unlinked meanwhile is taken again on the new one (else two runs could both hold "the" lock)."""
        for _ in range(10):
            f = open(self._at(LOCK), "a+")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.close()
                raise OutputError(f"{self.path}: another run is writing to this output directory") from None
            try:
                if os.stat(self._at(LOCK)).st_ino == os.fstat(f.fileno()).st_ino:
                    return f
            except FileNotFoundError:
                pass
            f.close()
        raise OutputError(f"{self.path}: another run is writing to this output directory")

    def _at(self, *names: str) -> str:
        return storage.join(self.path, *names)

    def _open_journal(self) -> None:
        if not self.remote:
            self._journal = open(self._at(JOURNAL), "a")

    def _drop_journal(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        storage.remove(self._at(JOURNAL))

    # -- opening -------------------------------------------------------------------------------
    def _open(self, resume: bool, overwrite: bool, planned: list[str]) -> None:
        existing = [f for f in storage.listdir(self.path) if f.startswith("part-")]
        try:
            old = load_run(self.path)
        except OutputError:
            if not overwrite:
                raise
            # an unreadable manifest cannot say which parts are ours; in a directory that holds one,
            # files named as emopulse names its parts are taken as ours (--overwrite's way out)
            old = RunManifest({}, [n[: -len(".parquet")] for n in existing if PART_NAME.fullmatch(n)])
        if old is not None and resume:
            if old.fingerprint != self.fingerprint:
                raise OutputError(
                    f"{self.path}: was written with another model, input or settings "
                    f"({fingerprint_diff(old.fingerprint, self.fingerprint)}); "
                    "pass --overwrite to start again"
                )
            self.manifest = old
            self.manifest.planned = planned or old.planned
            self._verify()
        elif old is not None and not overwrite:
            raise OutputError(
                f"{self.path}: holds the output of an earlier run; "
                "pass --resume to continue it or --overwrite to start again"
            )
        else:
            ours = set()
            if old is not None:  # --overwrite removes only what the old run's manifest lists
                ours = {f"{n}.parquet" for n in set(old.parts) | set(old.planned)}
            _refuse_strangers(self.path, [f for f in existing if f not in ours])
            for name in [f for f in existing if f in ours] + [
                MANIFEST,
                JOURNAL,
                JOURNAL_DIR,
                SUMMARY,
                SUCCESS,
                DEADLETTER,
                TMP,
            ]:
                storage.remove(self._at(name))
            self.manifest = RunManifest(self.fingerprint, planned)
            storage.write_json(self._at(MANIFEST), self.manifest.to_json())
        if not self.remote:  # temporary files a kill left behind
            for name in storage.listdir(self.path):
                if name.startswith(".") and ".tmp" in name:
                    storage.remove(self._at(name))
        storage.remove(self._at(TMP))

    def _verify(self) -> None:
        """Every recorded part must be on disk with its recorded size and checksum; others are redone."""
        for name, rec in list(self.manifest.parts.items()):
            why = _check_file(self._at(f"{name}.parquet"), rec.bytes, rec.sha256)
            if not why and rec.dead_rows:
                why = _check_file(self._at(DEADLETTER, f"{name}.parquet"), rec.dead_bytes, rec.dead_sha256)
            if why:
                self.repaired.append(f"{name} ({why})")
                del self.manifest.parts[name]
            elif rec.statuses is None:  # recorded by an earlier version: count once, kept from now on
                pf = storage.parquet_file(self._at(f"{name}.parquet"))
                rec.statuses = status_counts(pf.read([c for c in [schema.STATUS_COL] if c in pf.schema_arrow.names]))
        if self.repaired:  # fold the removals in now, so a kill cannot bring the records back
            storage.write_json(self._at(MANIFEST), self.manifest.to_json())
            storage.remove(self._at(JOURNAL))
            storage.remove(self._at(JOURNAL_DIR))
            storage.remove(self._at(SUCCESS))

    # -- recording -----------------------------------------------------------------------------
    @property
    def finished(self) -> set[str]:
        return set(self.manifest.parts)

    def record(self, rec: PartRecord) -> None:
        """Record a part written by write_part (here or in a Ray actor): one fsynced journal line,
        or on object storage one journal object."""
        line = json.dumps(asdict(rec))
        if self.remote:
            storage.write_bytes(self._at(JOURNAL_DIR, f"{rec.name}.json"), line.encode())
        else:
            self._journal.write(line + "\n")
            self._journal.flush()
            os.fsync(self._journal.fileno())
        self.manifest.parts[rec.name] = rec
        self.recorded.append(rec)

    def commit(self, name: str, table: pa.Table, dead: pa.Table | None = None, **where) -> PartRecord:
        rec = write_part(self.path, name, table, dead, **where)
        self.record(rec)
        return rec

    @property
    def complete(self) -> bool:
        """Every planned part is finished: a run of zero rows (no parts planned) is complete too."""
        return set(self.manifest.planned) <= set(self.manifest.parts)

    def finish(self, invocation: dict) -> dict:
        """Fold the journal into the manifest, write the summary (`_summary`) and, when every planned
        part is done, _SUCCESS. Returns the summary."""
        storage.write_json(self._at(MANIFEST), self.manifest.to_json())
        self._drop_journal()
        storage.remove(self._at(JOURNAL_DIR))
        self._open_journal()
        summary = self._summary(invocation | {"parts_repaired": self.repaired})
        storage.write_json(self._at(SUMMARY), summary)
        self.finished_summary = True
        if self.complete:
            storage.write_json(
                self._at(SUCCESS),
                {
                    "finished": now(),
                    "parts": len(self.manifest.parts),
                    "rows": sum(p.rows for p in self.manifest.parts.values()),
                },
            )
        else:
            storage.remove(self._at(SUCCESS))
        return summary

    def _summary(self, inv: dict) -> dict:
        """`totals`: the whole output, summed over every recorded part whichever invocation wrote it
        (so also the parts of an invocation that was killed before it wrote a summary);
        `this_invocation`: this invocation's own figures; `invocations`: every one that finished."""
        old = {}
        if storage.exists(self._at(SUMMARY)):
            try:
                old = storage.read_json(self._at(SUMMARY))
            except (OSError, ValueError):
                old = {}
        inv = inv | {"started": self.started, "ended": now()}
        invocations = (old.get("invocations") or [])[-50:] + [inv]
        parts = self.manifest.parts.values()
        statuses = Counter(dict.fromkeys((schema.OK, schema.NULL_TEXT, schema.EMPTY_TEXT, schema.FAILED), 0))
        for p in parts:
            statuses.update(p.statuses or {})
        totals = {
            "rows": sum(p.rows for p in parts),
            **statuses,
            "dead_rows": sum(p.dead_rows for p in parts),
            "parts_done": len(self.manifest.parts),
            "parts_planned": len(self.manifest.planned),
            "complete": self.complete,
            "seconds_total": round(sum(i.get("seconds") or 0 for i in invocations), 3),
        }
        return {
            "first_start": invocations[0]["started"],
            "last_end": inv["ended"],
            "totals": totals,
            "this_invocation": inv,
            "invocations": invocations,
        }

    def close(self) -> None:
        """Release the directory: an empty journal and the _lock file are removed (nothing is left
        behind by a finished run but its parts and bookkeeping)."""
        if self._journal is not None and not self._journal.closed:
            self._journal.close()
            try:
                if os.path.getsize(self._at(JOURNAL)) == 0:
                    os.remove(self._at(JOURNAL))
            except OSError:
                pass
        if self._lock_file is not None and not self._lock_file.closed:
            try:  # unlinked while still held: a run that opens it meanwhile sees another inode and retries
                os.remove(self._at(LOCK))
            except OSError:
                pass
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        try:
            if kind is not None and issubclass(kind, (KeyboardInterrupt, Terminated)) and not self.finished_summary:
                # SIGINT / SIGTERM (a preempted job): the summary still describes what is finished, and
                # this invocation's line says it was interrupted (measured: before, none until a resume)
                self.finish(
                    {
                        "interrupted": "SIGINT" if issubclass(kind, KeyboardInterrupt) else "SIGTERM",
                        "parts_written": len(self.recorded),
                        "rows": sum(p.rows for p in self.recorded),
                        "seconds": round(time.perf_counter() - self._t0, 3),
                    }
                )
        finally:
            self.close()


def _refuse_strangers(path: str, strangers: list[str]) -> None:
    if strangers:
        raise OutputError(
            f"{path}: holds {len(strangers)} part file(s) that no emopulse manifest here "
            f"lists ({', '.join(strangers[:3])}{', ...' if len(strangers) > 3 else ''}); "
            "refusing to delete them: choose an empty output directory"
        )


def _check_file(path: str, size: int, digest: str | None) -> str | None:
    if not storage.exists(path):
        return "missing"
    if storage.size(path) != size:
        return f"size {storage.size(path)} != recorded {size}"
    if digest and storage.sha256(path) != digest:
        return "checksum differs"
    return None


def load_run(path: str) -> RunManifest | None:
    """The manifest of an output directory with its journal replayed (None if there is none)."""
    mpath = storage.join(path, MANIFEST)
    if not storage.exists(mpath):
        return None
    m = RunManifest.load(mpath)
    lines = []
    if storage.exists(storage.join(path, JOURNAL)):
        lines = storage.read_bytes(storage.join(path, JOURNAL)).decode(errors="replace").splitlines()
    journal_dir = storage.join(path, JOURNAL_DIR)
    for name in storage.listdir(journal_dir) if storage.is_remote(path) else []:
        lines.append(storage.read_bytes(storage.join(journal_dir, name)).decode(errors="replace"))
    for line in lines:
        try:
            rec = PartRecord.from_dict(json.loads(line))
        except (ValueError, TypeError):
            continue  # a line torn by a kill: that part is simply redone
        m.parts[rec.name] = rec
    return m


def run_status(path: str) -> tuple[bool, str]:
    """(complete, why) for an output directory read by a later stage (index, agree)."""
    if storage.exists(storage.join(path, SUCCESS)):
        return True, "complete"
    m = load_run(path)
    if m is None:
        return True, "not an emopulse run directory"
    done = len(m.parts)
    return False, (
        f"{done} of {len(m.planned)} parts finished" if m.planned else "no _SUCCESS marker"
    ) + " (still running, killed, or files were skipped; finish it with --resume)"
