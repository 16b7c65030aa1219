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


@pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium: install Debian's `chromium` package (make test does, as root)"
)
def test_index_html_renders_offline(tmp_path):
    start = dt.date(2024, 1, 1)
    days = {
        start + dt.timedelta(d): [("happiness", ONEHOT["happiness"])] * (20 + d % 7)
        + [("anger", ONEHOT["anger"])] * 15
        + [("neutral", ONEHOT["neutral"])] * 10
        for d in range(60)
    }
    run(IndexArgs(inputs=[predictions(days, tmp_path / "p.parquet")], output=str(tmp_path / "idx"), html=True))
    page = tmp_path / "idx" / "index.html"
    shot = tmp_path / "shot.png"
    r = subprocess.run(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-dev-shm-usage",
            f"--user-data-dir={tmp_path / 'profile'}",
            # the network is off: any request outside file:// fails
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            "--window-size=1200,900",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.exists(), r.stderr[-2000:]
    console = [ln for ln in r.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    assert console == [], console
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    colored = (img.max(-1) - img.min(-1)) > 60  # the page itself is white and grey
    index_line = np.abs(img - np.array([0x2C, 0xA0, 0x2C])).sum(-1) < 40  # the index trace's green
    assert colored.sum() > 100_000, "no stacked shares drawn"
    assert index_line.sum() > 200, "no index trace drawn"
    # without its plotly.min.js the same page draws nothing (the check above is not vacuous)
    os.remove(tmp_path / "idx" / "plotly.min.js")
    shot2 = tmp_path / "shot2.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile2'}",
            "--proxy-server=127.0.0.1:9",
            "--virtual-time-budget=5000",
            "--window-size=1200,900",
            f"--screenshot={shot2}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    img2 = np.asarray(Image.open(shot2).convert("RGB")).astype(int)
    assert ((img2.max(-1) - img2.min(-1)) > 60).sum() < 1_000


def screenshot(page, tmp_path, name="gap"):
    shot = tmp_path / f"{name}.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-dev-shm-usage",
            f"--user-data-dir={tmp_path / ('profile-' + name)}",
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=10000",
            "--window-size=1200,900",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    from PIL import Image

    return np.asarray(Image.open(shot).convert("RGB")).astype(int)


def empty_runs(img) -> list[tuple[int, int]]:
    """(first column, width in px) of the column runs without any share colour inside the shares
    panel's drawn span (rows 110-370 of a 1200x900 screenshot)."""
    top = img[110:370]
    yellow = (top[..., 0] > 200) & (top[..., 1] > 170) & (top[..., 2] < 170)
    red = (top[..., 0] > 190) & (top[..., 1] < 150) & (top[..., 2] < 150)
    filled = (yellow | red).sum(0) > 50
    cols = np.flatnonzero(filled)
    span = filled[cols[0] : cols[-1] + 1]
    edges = np.flatnonzero(np.diff(np.r_[1, span.astype(int), 1]))  # starts and ends of the empty runs
    return [(int(cols[0] + a), int(b - a)) for a, b in zip(edges[::2], edges[1::2])]


def gap_days(start, n=60, gap=range(25, 40)):
    return {
        start + dt.timedelta(d): [("happiness", ONEHOT["happiness"])] * 20 + [("anger", ONEHOT["anger"])] * 15
        for d in range(n)
        if d not in gap
    }


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium")
def test_days_without_data_are_a_gap_in_the_page(tmp_path):
    run(
        IndexArgs(
            inputs=[predictions(gap_days(dt.date(2024, 1, 1)), tmp_path / "p.parquet")],
            output=str(tmp_path / "idx"),
            html=True,
        )
    )
    page = tmp_path / "idx" / "index.html"
    assert "<title>emopulse — daily" in page.read_text()
    img = screenshot(page, tmp_path)
    # 15 of 60 days missing: a blank strip of about a quarter of the drawn width ...
    first, width = max(empty_runs(img), key=lambda r: r[1])
    assert width > 100, empty_runs(img)
    # ... with nothing drawn in it: before, every share fell to 0 there (a line along the bottom)
    strip = img[105:380, first + 10 : first + width - 10]
    background = (np.abs(strip - np.array([229, 236, 246])).sum(-1) < 30) | (strip.min(-1) > 235)
    assert (~background).sum() < 10
    # the legend lists only what is drawn: no anomaly and no low-count entries on this page
    text = page.read_text()
    assert '"name":"anomaly"' not in text and '"name":"low count"' not in text
