"""watch: files dropped one by one -> predictions exactly once, an incremental index equal to a
batch `index` run, one alert for a planted angry day, kill -9 + restart without loss or double
counting, files still being written left alone."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from emopulse.index import IndexArgs
from emopulse.index import run as index
from emopulse.watch import WatchArgs, run

HAPPY = [
    "정말 최고예요 너무 행복해요",
    "오늘 하루 정말 즐거웠어요",
    "너무 재밌고 좋았어요 감사합니다",
    "행복한 하루였어요 ㅎㅎ",
    "좋아요 최고입니다",
]
NEUTRAL = ["오늘 회의는 세 시에 시작합니다", "내일 날씨는 흐리다고 합니다"]
ANGRY = [
    "진짜 화가 나서 참을 수가 없다",
    "이건 말도 안 되는 짓이다 정말 열받네",
    "너무 짜증나고 화가 치밀어 오른다",
    "어떻게 이럴 수가 있냐 분노가 치민다",
]


def day_file(path, day: dt.date, texts: list[str], start_id: int):
    t = pa.table({"id": [f"r{start_id + i}" for i in range(len(texts))], "text": texts, "date": [day] * len(texts)})
    tmp = str(path) + ".part"  # land under a temporary name, then rename (the documented convention)
    pq.write_table(t, tmp)
    os.replace(tmp, path)
    return len(texts)


def normal_day(i: int) -> list[str]:
    rng = np.random.default_rng(i)
    return [HAPPY[j] for j in rng.integers(0, len(HAPPY), 24)] + NEUTRAL * 3


def wargs(tmp_path, **kw):
    kw.setdefault("poll", 0.1)
    kw.setdefault("settle", 0.0)
    return WatchArgs(
        model=None,
        inputs=[str(tmp_path / "in")],
        output=str(tmp_path / "pred"),
        index_output=str(tmp_path / "idx"),
        id_col="id",
        min_count=10,
        once=True,
        **kw,
    )


def test_files_one_by_one_equal_batch_index_and_one_alert(tmp_path):
    (tmp_path / "in").mkdir()
    start, n = dt.date(2024, 5, 1), 0
    for i in range(22):  # 21 ordinary days, then an angry one
        texts = normal_day(i) if i < 21 else ANGRY * 8
        n += day_file(tmp_path / "in" / f"day-{i:02d}.parquet", start + dt.timedelta(i), texts, n)
        if i >= 19:  # the last files land one by one, each a separate update
            s = run(wargs(tmp_path))
    assert s["files"] == 22 and s["rows"] == n
    alerts = [json.loads(ln) for ln in open(tmp_path / "idx" / "alerts.jsonl")]
    assert [a["period"] for a in alerts] == [str(start + dt.timedelta(21))]
    assert alerts[0]["provisional"] is True and alerts[0]["index"] < 40 and alerts[0]["shares"]["anger"] > 0.5
    # a late file for an old day updates that day; the alert is not repeated
    n += day_file(tmp_path / "in" / "late.parquet", start + dt.timedelta(3), normal_day(99)[:10], n)
    s = run(wargs(tmp_path))
    assert s["rows"] == n and len(open(tmp_path / "idx" / "alerts.jsonl").readlines()) == 1

    # every input row exactly once in the predictions
    preds = pl.scan_parquet(str(tmp_path / "pred" / "*" / "part-*.parquet")).collect()
    assert preds.height == n and preds["id"].n_unique() == n
    # the incremental index equals a batch index over the same predictions
    dirs = sorted(str(p) for p in (tmp_path / "pred").iterdir())
    index(IndexArgs(inputs=dirs, output=str(tmp_path / "batch"), min_count=10))
    a = pl.read_parquet(tmp_path / "idx" / "index.parquet")
    b = pl.read_parquet(tmp_path / "batch" / "index.parquet")
    assert a.columns == b.columns and a["period"].to_list() == b["period"].to_list()
    for c in a.columns:
        if a[c].dtype.is_float():
            assert np.allclose(a[c].to_numpy(), b[c].to_numpy(), equal_nan=True, atol=1e-9), c
        else:
            assert a[c].to_list() == b[c].to_list(), c
    page = (tmp_path / "idx" / "index.html").read_text()
    assert 'http-equiv="refresh"' in page and "latest alerts" in page and alerts[0]["period"] in page


def test_bad_file_is_set_aside_and_later_files_go_on(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a-bad.parquet").write_bytes(b"PAR1 not really parquet PAR1")
    n = day_file(tmp_path / "in" / "b-good.parquet", dt.date(2024, 1, 1), normal_day(1), 0)
    s = run(wargs(tmp_path))
    assert s["files"] == 1 and s["bad_files"] == 1 and s["rows"] == n
    bad = [json.loads(ln) for ln in open(tmp_path / "idx" / "_bad_files.jsonl")]
    assert bad[0]["file"].endswith("a-bad.parquet") and "Parquet" in bad[0]["reason"]


def test_a_file_being_written_is_not_read_early(tmp_path):
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "slow.csv"
    rows = [f"{i},좋은 하루 {i},2024-02-01" for i in range(400)]
    stop = threading.Event()

    path.write_text("id,text,date\n", encoding="utf-8")  # there at the first look (else --once ends at once)

    def writer():  # appends in bursts, as a slow upload would, for ~1.5 s
        with open(path, "a", encoding="utf-8") as f:
            for k in range(0, 400, 50):
                f.write("\n".join(rows[k : k + 50]) + "\n")
                f.flush()
                time.sleep(0.2)
        stop.set()

    t = threading.Thread(target=writer)
    t.start()
    s = run(wargs(tmp_path, settle=1.0, poll=0.1))  # --once waits for the file to settle
    t.join()
    assert stop.is_set() and s["files"] == 1 and s["rows"] == 400


def test_kill_9_then_restart_loses_and_doubles_nothing(tmp_path):
    (tmp_path / "in").mkdir()
    start, n = dt.date(2024, 7, 1), 0
    for i in range(8):
        n += day_file(tmp_path / "in" / f"d{i}.parquet", start + dt.timedelta(i), normal_day(i) * 4, n)
    cmd = [
        sys.executable,
        "-m",
        "emopulse",
        "watch",
        "--input",
        str(tmp_path / "in"),
        "--output",
        str(tmp_path / "pred"),
        "--index-output",
        str(tmp_path / "idx"),
        "--poll",
        "0.1",
        "--settle",
        "0",
        "--rows-per-part",
        "40",
        "--min-count",
        "10",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline:
        stats = tmp_path / "idx" / "_stats.parquet"
        if stats.exists() and len(json.loads(pq.read_schema(stats).metadata[b"emopulse"])["files"]) >= 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    r = subprocess.run(cmd + ["--once"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    stats = pl.read_parquet(tmp_path / "idx" / "_stats.parquet")
    assert int(stats["n"].sum() + stats["n_unlabelled"].sum()) == n
    preds = pl.scan_parquet(str(tmp_path / "pred" / "*" / "part-*.parquet")).collect()
    assert preds.height == n and preds["id"].n_unique() == n


def test_sigterm_ends_the_watch_cleanly(tmp_path):
    (tmp_path / "in").mkdir()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emopulse",
            "watch",
            "--input",
            str(tmp_path / "in"),
            "--output",
            str(tmp_path / "pred"),
            "--index-output",
            str(tmp_path / "idx"),
            "--poll",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)
    day_file(tmp_path / "in" / "d.parquet", dt.date(2024, 1, 1), normal_day(0), 0)
    deadline = time.time() + 60
    while time.time() < deadline and not (tmp_path / "idx" / "_stats.parquet").exists():
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert "1 files" in out
