"""`emopulse watch`: new comment files in, predictions, index, dashboard and alerts out, within a poll.

Each complete file in --input (see WatchArgs.settle) goes through serve-batch into its own run
directory under --output, so the run contract holds per file: exactly once, resumable, verified.
The index is kept as additive per-period statistics (index.compute.sums) in
INDEX_OUTPUT/_stats.parquet, whose metadata lists the files folded in; the file is replaced
atomically, so after a kill -9 at any moment a file is either folded in once or not at all (and
then folded on restart: its predictions are already there). The index, charts and dashboard are
rebuilt from the statistics alone: the cost of an update grows with the new rows and the number of
periods, not with the rows of history. Late rows for an old period update that period.

Alerts: when an update flags a period as an anomaly (index.compute.finish's rule) for the first time,
one JSON line goes to --alerts and, with --on-anomaly, to that command's stdin; `provisional` is
true while the period is the latest one (more rows may still come). Alerted periods are remembered
in _watch.json; a kill between an alert and that record repeats the alert once (at least once).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shlex
import signal
import subprocess
import threading
import time

import polars as pl
import pyarrow.parquet as pq

from ..core import storage
from ..core.errors import EmopulseError
from ..core.reader import resolve_inputs
from ..index import charts
from ..index.compute import add_sums, fill_calendar, finish, from_sums, sums
from ..index.load import check_dates, scan
from ..index.run import write_csv
from ..serve_batch import run as serve_batch
from ..serve_batch.args import ServeBatchArgs
from .args import WatchArgs

log = logging.getLogger("emopulse.watch")
STATS = "_stats.parquet"
STATE = "_watch.json"
TEMPORARY = (".tmp", ".part", ".crdownload", ".partial")


# -- the statistics and the files folded into them ---------------------------------------------------


def load_stats(idx_dir: str, name: str = STATS) -> tuple[pl.DataFrame | None, list[str], list[str]]:
    """(per-period sums, files folded in, labels); (None, [], []) before the first file. `name`:
    _stats.parquet, or _stats_by_<column>.parquet (per period and stratum, for --strata / --by)."""
    path = os.path.join(idx_dir, name)
    if not os.path.exists(path):
        return None, [], []
    t = pq.read_table(path)
    meta = json.loads((t.schema.metadata or {}).get(b"emopulse", b"{}"))
    return pl.from_arrow(t), meta.get("files", []), meta.get("labels", [])


def save_stats(idx_dir: str, df: pl.DataFrame, files: list[str], labels: list[str], name: str = STATS) -> None:
    t = df.to_arrow()
    t = t.replace_schema_metadata({b"emopulse": json.dumps({"files": files, "labels": labels}).encode()})
    storage.write_via(os.path.join(idx_dir, name), lambda tmp: pq.write_table(t, tmp))


def by_name(col: str) -> str:
    return f"_stats_by_{col}.parquet"


def index_frame(
    stats: pl.DataFrame, labels: list[str], args: WatchArgs, by_sums: dict[str, pl.DataFrame] | None = None
) -> tuple[pl.DataFrame, dict]:
    """The same table `emopulse index --online` computes from all the rows, and the record of the
    options beyond the plain index (empty without them)."""
    df = finish(
        fill_calendar(from_sums(stats, labels), args.freq), labels, args.freq, args.min_count, args.window, args.k
    )
    if not args.extended:
        return df, {}
    from ..index.extend import enrich

    return enrich(df, labels, args, by_sums or {}, online=True)


# -- one file --------------------------------------------------------------------------------------


def _old_key(path: str, root: str) -> str:
    rel = path[len(root) :].lstrip("/") if path.startswith(root) else storage.basename(path)
    return rel.replace("/", "__")


def _key(path: str, root: str) -> str:
    """The name of a file's prediction run directory under --output: its relative path with "/" as
    "__" and the extension's dot as "_" ("day0.parquet" -> "day0_parquet"), so no directory ends in
    .parquet / .csv and `pl.scan_parquet("pred/**/*.parquet")` reads exactly the predictions."""
    stem, ext = os.path.splitext(_old_key(path, root))
    return f"{stem}_{ext[1:]}" if ext else stem


def fingerprint(path: str) -> str:
    """What tells two versions of a file under one name apart (a file replaced by tmp + rename):
    size and modification time locally; size and ETag / mtime in object storage."""
    if not storage.is_remote(path):
        st = os.stat(path)
        return f"{st.st_size}-{st.st_mtime_ns}"
    fs, p = storage.filesystem(path)
    info = fs.get_file_info(p)
    return f"{info.size}-{info.mtime_ns}"


def classify(path: str, key: str, args: WatchArgs) -> str:
    """serve-batch on one file into OUTPUT/<key>; returns that run directory."""
    out = storage.join(args.output, key)
    own = {f.name: getattr(args, f.name) for f in dataclasses.fields(ServeBatchArgs)}
    resume = storage.exists(storage.join(out, "_manifest.json"))
    serve_batch(
        ServeBatchArgs(
            **own
            | {
                "inputs": [path],
                "output": out,
                "resume": resume,
                "overwrite": False,
                "progress": False,
                "skip_bad_files": False,
            }
        )
    )
    return out


def file_sums(pred_dir: str, args: WatchArgs) -> tuple[pl.DataFrame, list[str], int, dict[str, pl.DataFrame]]:
    """(per-period sums of one file's predictions, labels, bad dates dropped, per-stratum sums)."""
    groups = args.group_cols
    lf, labels, _ = scan([pred_dir], args.date_col, args.timezone, extra=tuple(groups))
    lf, n_bad, _ = check_dates(lf, drop_bad=True, keep_undated=bool(groups))
    dated = lf.filter(pl.col("date").is_not_null()) if groups else lf
    by = {c: sums(lf, labels, args.freq, args.weights, hard=False, by=c) for c in groups}
    return sums(dated, labels, args.freq, args.weights, hard=False), labels, n_bad, by


# -- the loop --------------------------------------------------------------------------------------


class Watcher:
    def __init__(self, args: WatchArgs):
        self.args = args
        self.idx = args.index_output
        os.makedirs(self.idx, exist_ok=True)
        self.alerts_path = args.alerts or os.path.join(self.idx, "alerts.jsonl")
        self.state = self._load_state()
        self.sizes: dict[str, tuple] = {}  # file -> (size, mtime) at the last look
        self.stop = threading.Event()
        self.last_update: str | None = None

    def _load_state(self) -> dict:
        try:
            with open(os.path.join(self.idx, STATE)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {"alerted": [], "bad": {}}

    def _save_state(self) -> None:
        storage.write_json(os.path.join(self.idx, STATE), self.state)

    def candidates(self) -> list[str]:
        try:
            files = resolve_inputs([self.args.inputs[0]], self.args.format)
        except EmopulseError:
            return []  # nothing there yet
        return [f for f in files if not storage.basename(f).endswith(TEMPORARY)]

    def ready(self, path: str) -> bool:
        """Complete: an object in object storage (a PUT is atomic), or a local file whose size and
        mtime held still between two looks and for --settle seconds."""
        if storage.is_remote(path):
            return True
        try:
            st = os.stat(path)
        except OSError:
            return False
        now, sig = time.time(), (st.st_size, st.st_mtime_ns)
        before, self.sizes[path] = self.sizes.get(path), sig
        return before == sig and now - st.st_mtime >= self.args.settle

    def step(self) -> tuple[int, int]:
        """One look at the input: (files folded in now, files still waiting)."""
        stats, folded, labels = load_stats(self.idx)
        root = storage.real(self.args.inputs[0]).rstrip("/")
        waiting, done = 0, 0
        versions = self.state.setdefault("versions", {})  # file key -> fingerprint of the version taken
        for path in self.candidates():
            if self.stop.is_set():  # SIGTERM: stop between files, not after the whole backlog
                break
            base, old = _key(path, root), _old_key(path, root)
            try:
                fp = fingerprint(path)
            except OSError:
                continue  # gone since the listing
            if base not in versions and ({base, old} & (set(folded) | set(self.state["bad"]))):
                versions[base] = fp  # folded before versions were recorded: the present one
            if versions.get(base) == fp:
                continue
            # a file replaced under a name already taken is a new file: its own run directory
            key = base if base not in versions else f"{base}~{fp}"
            if key in folded or key in self.state["bad"]:
                versions[base] = fp
                continue
            if not self.ready(path):
                waiting += 1
                continue
            t0 = time.perf_counter()
            try:
                pred = classify(path, key, self.args)
                new, labels_now, n_bad, new_by = file_sums(pred, self.args)
            except EmopulseError as exc:  # a bad file is reported and set aside; later files go on
                log.warning(f"{path}: set aside: {exc}")
                self.state["bad"][key] = str(exc)
                versions[base] = fp
                self._save_state()
                with open(os.path.join(self.idx, "_bad_files.jsonl"), "a") as f:
                    f.write(json.dumps({"file": path, "reason": str(exc), "time": _now()}, ensure_ascii=False) + "\n")
                continue
            if labels and labels_now != labels:
                raise EmopulseError(f"{path}: predicted labels {labels_now} differ from the index's {labels}")
            labels = labels_now
            # per-stratum sums first, each with its own list of files: a kill between the two
            # writes leaves the file out of _stats.parquet only, and its refold skips these
            for col, part in new_by.items():
                old, had, _ = load_stats(self.idx, by_name(col))
                if key not in had:
                    save_stats(self.idx, add_sums(old, part, ("period", col)), had + [key], labels, by_name(col))
            stats = add_sums(stats, new)
            folded = folded + [key]
            save_stats(self.idx, stats, folded, labels)
            versions[base] = fp
            self._save_state()
            done += 1
            log.info(
                f"{path}: {int(new['n'].sum() + new['n_unlabelled'].sum()):,} rows folded into the index "
                f"in {time.perf_counter() - t0:.1f} s" + (f" ({n_bad} bad dates dropped)" if n_bad else ""),
                extra={"fields": {"file": path, "periods": new.height}},
            )
            self.publish(stats, labels)
        return done, waiting

    def publish(self, stats: pl.DataFrame, labels: list[str]) -> pl.DataFrame:
        by = {c: load_stats(self.idx, by_name(c))[0] for c in self.args.group_cols}
        df, extra = index_frame(stats, labels, self.args, by)
        self.last_update = _now()
        self._alerts(df, labels, extra.get("anomalies_judged_on", "index"))
        _write_atomic(df, labels, self.idx, self._dashboard_extra(), self.args, extra)
        return df

    def _alerts(self, df: pl.DataFrame, labels: list[str], judged_on: str = "index") -> None:
        latest = df["period"].max()
        for row in df.filter(pl.col("anomaly")).iter_rows(named=True):
            period = str(row["period"])
            if period in self.state["alerted"]:
                continue
            alert = {
                "time": _now(),
                "period": period,
                "freq": self.args.freq,
                "index": row["index"],
                "band": [row["index_lo"], row["index_hi"]],
                "rolling_mean": row["index_rolling"],
                "z": row["anomaly_z"],
                "n": row["n"],
                "provisional": row["period"] == latest,
                "shares": {lab: row[f"soft_{lab}"] for lab in labels},
            }
            if judged_on != "index":  # the rule ran on an adjusted series: say which, and its value
                alert |= {
                    "judged_on": judged_on,
                    judged_on: row[judged_on],
                    "rolling_mean": row[f"{judged_on}_rolling"],
                }
            line = json.dumps(alert, ensure_ascii=False, default=str)
            with open(self.alerts_path, "a") as f:
                f.write(line + "\n")
            log.warning(
                f"anomaly: {period} index {row['index']:.1f} (z {row['anomaly_z']:+.1f})", extra={"fields": alert}
            )
            if self.args.on_anomaly:
                try:
                    subprocess.run(shlex.split(self.args.on_anomaly), input=line, text=True, timeout=60, check=False)
                except (OSError, subprocess.TimeoutExpired) as exc:
                    log.error(f"--on-anomaly failed: {exc}")
            self.state["alerted"].append(period)
            self._save_state()

    def _dashboard_extra(self) -> str:
        import html

        lines = []
        if os.path.exists(self.alerts_path):
            with open(self.alerts_path) as f:
                lines = f.readlines()[-20:]
        items = "".join(f"<li>{html.escape(ln.strip())}</li>" for ln in reversed(lines)) or "<li>none</li>"
        return (
            f'<div style="font-family:sans-serif;margin:1em"><p>last update: {self.last_update}</p>'
            f"<h3>latest alerts</h3><ul>{items}</ul></div>"
        )

    def run(self) -> dict:
        stats, _, labels = load_stats(self.idx)
        if stats is not None:  # a restart: the dashboard reflects what is folded in
            self.publish(stats, labels)
        while not self.stop.is_set():
            done, waiting = self.step()
            if self.args.once and waiting == 0:
                break
            self.stop.wait(self.args.poll)
        stats, folded, labels = load_stats(self.idx)
        return {
            "files": len(folded),
            "bad_files": len(self.state["bad"]),
            "alerts": len(self.state["alerted"]),
            "rows": int(stats["n"].sum() + stats["n_unlabelled"].sum()) if stats is not None else 0,
        }


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _write_atomic(
    df: pl.DataFrame, labels: list[str], idx: str, extra: str, args: WatchArgs, record: dict | None = None
) -> None:
    """index.parquet / .csv / .png / .html, each replaced in one rename (a reader never sees half);
    with the options beyond the plain index, their files (covariates.md, by_<column>.*) too."""
    record = record or {}

    def put(name, write):
        storage.write_via(os.path.join(idx, name), write)

    put("index.parquet", df.write_parquet)
    put("index.csv", lambda p: write_csv(df, p))
    title = f"emopulse watch — {args.freq} index ({int(df['n'].sum()):,} comments)"
    put("index.png", lambda p: charts.png(df, labels, p, title, fmt="png", holidays=record.get("holidays")))
    refresh = f'<meta http-equiv="refresh" content="{args.refresh}">'
    charts.html(df, labels, idx, title, extra=extra, head=refresh, holidays=record.get("holidays"))
    if record:
        from ..index import report

        report.write(idx, df, labels, record, args, title)


def run(args: WatchArgs) -> dict:
    """Watch until SIGTERM / SIGINT (or, with --once, until every file present is folded in).
    SIGTERM lets the file being classified finish, then exits."""
    storage.configure(args.storage_options)
    w = Watcher(args)
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: w.stop.set())
    try:
        return w.run()
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
