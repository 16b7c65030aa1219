"""The README stays a front page; the docs site builds strict (every nav page exists, no broken link)."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_readme_is_a_front_page():
    lines = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read().splitlines()
    assert len(lines) <= 250
    top = "\n".join(lines[:6])
    assert "make demo" in top and "make test" in top  # the two commands first


def test_docs_site_builds_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    if not os.path.exists(os.path.join(ROOT, "mkdocs.yml")):
        pytest.skip("no mkdocs.yml (an installed package, not a checkout)")
    mkdocs = shutil.which("mkdocs", path=os.path.dirname(sys.executable)) or "mkdocs"
    r = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ | {"NO_MKDOCS_2_WARNING": "1"},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert (tmp_path / "site" / "stages" / "serve-batch" / "index.html").exists()
