"""The figure scripts read serve-batch's summary as it is: `_summary.json` moved each invocation's
figures under `this_invocation` (session 29) and five scripts, quality.py's teacher step among them
(make model from scratch), still read the top level (KeyError after the run). One of them runs here
end to end on the tiny bundle."""

import json
import subprocess
import sys
from pathlib import Path

from .conftest import comments

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def test_invariance_figures_runs_and_reports_rows_per_s(tiny_bundle, tmp_path):
    import pyarrow.parquet as pq

    data = tmp_path / "in.parquet"
    pq.write_table(comments(60), data)
    r = subprocess.run(
        [sys.executable, str(SCRIPTS / "invariance_figures.py"), "--data", str(data), "--rows", "60"]
        + ["--model", tiny_bundle],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    report = json.loads(r.stdout.strip().splitlines()[-1])[tiny_bundle]
    assert all(v["rows_per_s"] > 0 and v["rows_differing"] == 0 for v in report.values()), report
