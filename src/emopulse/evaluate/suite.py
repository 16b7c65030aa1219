"""The behavioural test suite (in the spirit of CheckList, Ribeiro et al. 2020): short Korean sentences
written for the project, grouped by capability (plain emotion words per class, neutral statements,
slang, intensifiers, negation, emoji, typos and spacing, questions, sarcasm), each with the label a
careful annotator gives it. A model's pass rate per capability says *what* it gets wrong, which one
macro-F1 on held-out comments does not. The sentences and the groups: `behaviour.tsv` (its header).

`behaviour(model)` runs it and gives the figures; `emopulse evaluate --suite behaviour` writes them
(behaviour.json, behaviour.md) and prints the table; `markdown_table(report)` is the per-capability
table alone, for a model card.
"""

from __future__ import annotations

import difflib
import os
import time
from dataclasses import dataclass

from ..core.errors import BundleError, InputError

SUITES = {  # name: file in this package
    "behaviour": "behaviour.tsv",  # held out: reported, never used for a choice
    "behaviour_dev": "behaviour_dev.tsv",  # for choices (scripts/quality.py), written apart from the other
}
FLOOR = 0.90  # the pass rate every non-hard capability is held to (tests/evaluate/test_behaviour.py)
COLUMNS = ("capability", "hard", "label", "text")


@dataclass(frozen=True)
class Item:
    text: str
    label: str
    capability: str
    hard: bool


def suite_path(name: str = "behaviour") -> str:
    """The bundled suite's file (a TSV in this package)."""
    if name not in SUITES:
        raise InputError(f"no suite {name!r} (suites: {', '.join(SUITES)})")
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), SUITES[name])


def load_suite(path: str | None = None, labels=None) -> list[Item]:
    """The items of a suite file (default: the bundled `behaviour.tsv`), in file order. Lines starting
    with # are comments; the first other line names the columns (capability, hard, label, text), tab
    separated. Refused with an InputError naming the line: a wrong column count, a hard flag other
    than 0/1, a label outside `labels` (default: the project's four), an empty text, a text given
    twice, a capability whose items disagree on the hard flag."""
    from ..core.schema import LABELS

    path = path or suite_path()
    labels = list(labels or LABELS)
    items: list[Item] = []
    header, seen, hard_of = None, {}, {}
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = tuple(c.strip() for c in cells)
                if header != COLUMNS:
                    raise InputError(f"{path}:{no}: columns {header}, expected {COLUMNS} (tab separated)")
                continue
            if len(cells) != len(COLUMNS):
                raise InputError(f"{path}:{no}: {len(cells)} tab-separated columns, expected {len(COLUMNS)}")
            capability, hard, label, text = (c.strip() for c in cells)
            if hard not in ("0", "1"):
                raise InputError(f"{path}:{no}: hard is {hard!r}, expected 0 or 1")
            if label not in labels:
                raise InputError(f"{path}:{no}: label {label!r} is not one of {', '.join(labels)}")
            if not text or not capability:
                raise InputError(f"{path}:{no}: an empty text or capability")
            if text in seen:
                raise InputError(f"{path}:{no}: {text!r} is already line {seen[text]}")
            if hard_of.setdefault(capability, hard) != hard:
                raise InputError(f"{path}:{no}: capability {capability!r} mixes hard and non-hard items")
            seen[text] = no
            items.append(Item(text, label, capability, hard == "1"))
    if not items:
        raise InputError(f"{path}: no items")
    return items


def near_duplicates(texts: list[str], others: list[str], ratio: float = 0.8) -> set[str]:
    """The `texts` whose letters and digits come within `ratio` (difflib's SequenceMatcher ratio, in
    [0, 1]) of one of `others`. Keeps a suite's items out of training data written by hand or by a
    generator: one author writes similar sentences ("물은 100도에서 끓는다" / "물은 섭씨 백 도에서
    끓는다" share 0.73), so exact exclusion alone lets near copies through. O(len(texts) x
    len(others)), pruned by difflib's length and letter-count bounds: 4,000 x 400 in about a second."""

    def norm(s: str) -> str:
        return "".join(ch for ch in s if ch.isalnum())

    matchers = []
    for o in others:
        m = difflib.SequenceMatcher(autojunk=False)
        m.set_seq2(norm(o))
        matchers.append(m)
    near = set()
    for t in texts:
        x = norm(t)
        for m in matchers:
            m.set_seq1(x)
            if m.real_quick_ratio() >= ratio and m.quick_ratio() >= ratio and m.ratio() >= ratio:
                near.add(t)
                break
    return near


def behaviour(model: str | None = None, *, suite: str | None = None, max_length: int = 0, threads: int = 0) -> dict:
    """Run the behavioural suite on a model (a bundle, .onnx or checkpoint; default: the shipped one).

    `suite`: a suite file (default: the bundled `behaviour.tsv`); `max_length` (tokens, 0: the model's
    limit) and `threads` (0: all cores) as for `emopulse evaluate`. An item passes when the model's
    most probable label (served probabilities, as serve-batch gives them) is the expected one.

    Returns a dict (JSON-ready):
      model, suite: absolute paths; labels: the model's labels, in its order
      n, passed: items in the suite / passing (ints); rate: passed / n (a fraction in [0, 1])
      non_hard: {n, passed, rate} over the items of the non-hard capabilities only
      floor: the pass rate each non-hard capability is held to (FLOOR, 0.90)
      capabilities: one dict per capability in file order: {capability, hard (bool), n, passed, rate,
        meets_floor (bool; None for a hard capability)}
      by_label: {expected label: {n, passed, rate}} over all items
      failures: one dict per failing item in file order: {capability, hard, text, expected, predicted,
        p_expected, p_predicted (served probabilities in [0, 1], rounded to 4 places)}
      seconds: wall time of the run (float, s), the model's loading included
    """
    from ..core.bundle import resolve_model
    from ..core.predictor import predict_probs

    t0 = time.perf_counter()
    path = os.path.abspath(suite or suite_path())
    items = load_suite(path)
    model = resolve_model(model)
    probs, labels = predict_probs(model, [it.text for it in items], max_length, threads)
    missing = sorted({it.label for it in items} - set(labels))
    if missing:
        raise BundleError(f"{model}: the model has no label {', '.join(missing)} (its labels: {', '.join(labels)})")
    pred = [labels[i] for i in probs.argmax(1)]
    ok = [p == it.label for p, it in zip(pred, items)]

    def tally(sel) -> dict:
        n, passed = len(sel), sum(sel)
        return {"n": n, "passed": passed, "rate": round(passed / n, 4) if n else None}

    caps = []
    for cap in dict.fromkeys(it.capability for it in items):
        idx = [i for i, it in enumerate(items) if it.capability == cap]
        hard = items[idx[0]].hard
        t = tally([ok[i] for i in idx])
        caps.append({"capability": cap, "hard": hard, **t, "meets_floor": None if hard else t["rate"] >= FLOOR})
    failures = [
        {
            "capability": it.capability,
            "hard": it.hard,
            "text": it.text,
            "expected": it.label,
            "predicted": p,
            "p_expected": round(float(probs[i, labels.index(it.label)]), 4),
            "p_predicted": round(float(probs[i].max()), 4),
        }
        for i, (it, p, good) in enumerate(zip(items, pred, ok))
        if not good
    ]
    return {
        "model": os.path.abspath(model),
        "suite": path,
        "labels": list(labels),
        **tally(ok),
        "non_hard": tally([g for g, it in zip(ok, items) if not it.hard]),
        "floor": FLOOR,
        "capabilities": caps,
        "by_label": {
            lab: tally([g for g, it in zip(ok, items) if it.label == lab])
            for lab in labels
            if lab in {*(x.label for x in items)}
        },
        "failures": failures,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(rep: dict) -> str:
    """The per-capability pass rates of a `behaviour()` report as a Markdown table (capability, hard,
    n, passed, pass rate), with the non-hard and overall totals as its last rows: for a model card."""
    lines = ["| capability | hard | n | passed | pass rate |", "| --- | --- | ---: | ---: | ---: |"]
    for c in rep["capabilities"]:
        lines.append(
            f"| {_cell(c['capability'])} | {'yes' if c['hard'] else 'no'} | {c['n']} | {c['passed']} | {c['rate']:.2f} |"
        )
    nh = rep["non_hard"]
    if nh["n"]:
        lines.append(f"| **non-hard** | no | {nh['n']} | {nh['passed']} | **{nh['rate']:.2f}** |")
    lines.append(f"| **all** | | {rep['n']} | {rep['passed']} | **{rep['rate']:.2f}** |")
    return "\n".join(lines) + "\n"


def markdown(rep: dict) -> str:
    """The whole report: a summary line, the per-capability table, pass rates by expected label, and
    every failing item (hard ones last)."""
    below = [c["capability"] for c in rep["capabilities"] if c["meets_floor"] is False]
    lines = [
        f"# Behavioural suite: `{os.path.basename(rep['suite'])}` on `{rep['model']}`",
        "",
        f"{rep['n']} items: {rep['passed']} pass ({rep['rate']:.2f}); non-hard capabilities "
        f"{rep['non_hard']['passed']} of {rep['non_hard']['n']} ({rep['non_hard']['rate']:.2f}). "
        + (
            f"Below the {rep['floor']:.2f} floor: {', '.join(below)}."
            if below
            else f"Every non-hard capability is at or above the {rep['floor']:.2f} floor."
        ),
        "",
        markdown_table(rep),
        "By expected label:",
        "",
        "| expected | n | passed | pass rate |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [f"| {lab} | {t['n']} | {t['passed']} | {t['rate']:.2f} |" for lab, t in rep["by_label"].items()]
    fails = sorted(rep["failures"], key=lambda f: f["hard"])  # stable: file order within each
    lines += ["", f"Failing items ({len(fails)}):", ""]
    if fails:
        lines += [
            "| capability | text | expected | predicted (p) | p expected |",
            "| --- | --- | --- | --- | ---: |",
        ]
        lines += [
            f"| {_cell(f['capability'])}{' (hard)' if f['hard'] else ''} | {_cell(f['text'])} | {f['expected']} | "
            f"{f['predicted']} ({f['p_predicted']:.2f}) | {f['p_expected']:.2f} |"
            for f in fails
        ]
    else:
        lines.append("none")
    return "\n".join(lines) + "\n"
