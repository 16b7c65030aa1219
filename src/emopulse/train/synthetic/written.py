"""Written training sentences (written.tsv): 1,059 natural Korean sentences with negation, one label each,
written for the project by four writers blind to both behavioural suites, the generators, the data and every
model output (the file's header gives each brief). Unlike the generators' templated rows they vary freely in
shape and register; the anchored round of `make model` learns them as one-hot targets."""

from __future__ import annotations

import os

from ...core.schema import LABELS

PATH = os.path.join(os.path.dirname(__file__), "written.tsv")


def written(path: str = PATH) -> list[tuple[str, str]]:
    """(text, label) rows in file order. Raises ValueError naming the line of a row that is not
    `label<TAB>text` with a known label."""
    rows = []
    with open(path, encoding="utf-8-sig") as f:  # -sig: a file saved by Excel or Notepad starts with a BOM
        for no, line in enumerate(f, 1):
            if line.lstrip().startswith("#") or not line.strip():
                continue
            label, sep, text = line.rstrip("\r\n").partition("\t")
            text = text.strip()
            if not sep or label not in LABELS or not text or "\t" in text:
                raise ValueError(
                    f"{path}:{no}: expected 'label<TAB>text' with a label in {list(LABELS)}, got {line.strip()[:60]!r}"
                )
            rows.append((text, label))
    return rows
