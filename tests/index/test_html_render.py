"""index.html renders in a real browser with the network off: headless Chromium (Debian's `chromium`;
`make test` installs it where it can) loads the page and its plotly.min.js from the directory, and
the screenshot shows the plot."""
import datetime as dt
import os
import shutil
import subprocess

import numpy as np
import pytest

from emopulse.index import IndexArgs, run

from .test_index import ONEHOT, predictions

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium: install Debian's `chromium` package (make test does, as root)")
def test_index_html_renders_offline(tmp_path):
    start = dt.date(2024, 1, 1)
    days = {start + dt.timedelta(d): [("happiness", ONEHOT["happiness"])] * (20 + d % 7) +
            [("anger", ONEHOT["anger"])] * 15 + [("neutral", ONEHOT["neutral"])] * 10 for d in range(60)}
    run(IndexArgs(inputs=[predictions(days, tmp_path / "p.parquet")], output=str(tmp_path / "idx"), html=True))
    page = tmp_path / "idx" / "index.html"
    shot = tmp_path / "shot.png"
    r = subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
                        # the network is off: any request outside file:// fails
                        "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
                        "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
                        "--window-size=1200,900", f"--screenshot={shot}", page.as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert shot.exists(), r.stderr[-2000:]
    console = [ln for ln in r.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    assert console == [], console
    from PIL import Image
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    colored = (img.max(-1) - img.min(-1)) > 60                 # the page itself is white and grey
    index_line = np.abs(img - np.array([0x2C, 0xA0, 0x2C])).sum(-1) < 40  # the index trace's green
    assert colored.sum() > 100_000, "no stacked shares drawn"
    assert index_line.sum() > 200, "no index trace drawn"
    # without its plotly.min.js the same page draws nothing (the check above is not vacuous)
    os.remove(tmp_path / "idx" / "plotly.min.js")
    shot2 = tmp_path / "shot2.png"
    subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    f"--user-data-dir={tmp_path / 'profile2'}", "--proxy-server=127.0.0.1:9",
                    "--virtual-time-budget=5000", "--window-size=1200,900", f"--screenshot={shot2}", page.as_uri()],
                   capture_output=True, text=True, timeout=120)
    img2 = np.asarray(Image.open(shot2).convert("RGB")).astype(int)
    assert ((img2.max(-1) - img2.min(-1)) > 60).sum() < 1_000
