"""Rendering a template into a sentence, noisy casual copies, and the rows per label: generate and write."""

from __future__ import annotations

import random
import re

from ...core.schema import LABELS
from ...core.text import canonical_list
from .korean import _CASUAL, _COP, _FORMAL, _L, _NOT, _jong, _particles
from .lexicon import EMOJI, INT, INT_FORMAL, PREDS, SLOTS
from .templates import _CAP, _EMOJI_BASES, _REGSETS, VERSIONS, A, H, N, S

# ---------------------------------------------------------------- rendering

_TOKEN = re.compile(r"\{([^{}]+)\}")
_NO_COP = ("neg", "fut", "an", "mot", "ado", "stem", "ya", "myeon")
_PAST = {r: "past_" + r for r in ("hae", "haeyo", "da", "hapnida")} | {"ne": "past_hae", "neyo": "past_haeyo"}


def _pred(token: str, reg: str, rng: random.Random) -> str:
    group, _, kind = token.partition(".")
    if kind in ("past", "negpast", "anpast", "motpast"):
        reg, kind = _PAST.get(reg, reg), {"past": "", "negpast": "neg", "anpast": "an", "motpast": "mot"}[kind]
    ok = [p for p in PREDS[group] if not (p.casual and reg not in _CASUAL) and not (p.cop and kind in _NO_COP)]
    if kind == "gae":
        ok = [p for p in ok if p.gae]
    if not ok:
        raise ValueError(f"no predicate of {group!r} fits {reg}/{kind}")
    p = rng.choice(ok)
    return "개" + p.form(reg) if kind == "gae" else p.form(reg, kind)


def _fill(token: str, reg: str, rng: random.Random, slots: dict[str, list[str]]) -> str:
    if token.startswith("@"):
        return _pred(token[1:], reg, rng)
    if token == "~이다":
        return _COP[reg]
    if token == "~아니다":
        return _NOT[reg]
    if token == "~요":  # 갈게{~요}, 먹을래{~요}?: 요 in the polite register
        return "요" if reg in ("haeyo", "past_haeyo") else ""
    if token == "~세요":  # 울지 마{~세요}: 마 in 반말, 마세요 in the polite registers
        return "" if reg in _CASUAL else "세요"
    if token == "int":
        return rng.choice(INT_FORMAL if reg in _FORMAL else INT)
    return rng.choice(slots[token])


def render(template: tuple[str, str, str, str], rng: random.Random, slots: dict[str, list[str]] = SLOTS) -> str:
    text, reg = template[3], rng.choice(_REGSETS[template[2]])
    while "{" in text:
        text = _TOKEN.sub(lambda m: _fill(m.group(1), reg, rng, slots), text)
    text = _particles(text).replace("거입니다", "겁니다")
    text = re.sub(r"니다\?", "니까?", text)
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------- noisy copies

# fmt: off
_TYPOS = [("했", "햇"), ("좋아", "조아"), ("좋다", "조타"), ("있어", "이써"), ("뭐야", "머야"), ("너무", "넘"),
          ("너무", "너무너무"), ("보고 싶", "보고십"), ("싶어", "시퍼"), ("됐", "됬"), ("괜찮아", "괜차나"), ("재밌", "재밋"),
          ("맛있어", "마시써"), ("거예요", "거에요"), ("같아", "가타"), ("없어", "업서"), ("싫어", "시러"), ("많이", "마니"),
          ("고마워", "고마웡"), ("해요", "해여"), ("어떻게", "어떠케"), ("진짜", "진쨔"), ("돼요", "되요"), ("돼?", "되?"),
          ("안 돼", "안되"), ("했어", "해써"), ("모르겠", "몰겠"), ("어떻게", "어케"), ("너무", "느무"), ("그냥", "걍"),
          ("근데", "근대"), ("괜찮", "괜찬"), ("왜 이렇게", "왤케"), ("이렇게", "이케"), ("좀", "쫌"), ("거야", "꺼야"),
          ("할 거", "할 꺼"), ("뭐", "머"), ("않아", "안아"), ("않았", "안았"), ("안 해", "않해"), ("예요", "에요"),
          ("이에요", "이예요"), ("재밌", "잼있"), ("짜증나", "짱나"), ("짜증 나", "짱나"), ("열받", "열밭"), ("맞아", "마자"),
          ("겠", "겟"), ("갔", "갓"), ("왔", "왓"), ("봤", "봣"), ("났", "낫"), ("있어요", "이써요"), ("진짜", "ㄹㅇ"),
          ("에요", "에여"), ("나중에", "담에"), ("다음에", "담에"), ("없어", "업써"), ("알겠어", "알겟어")]
# fmt: on
_LGE = re.compile(r"([가-힣])게(요)?(?![가-힣])")  # 갈게요 -> 갈께요 (only after a syllable ending in ㄹ)
_MARKS = {
    A: ["!!", "!!!", "..", "..."],
    S: ["...", "..", "....", "....."],
    H: ["!!", "~~", "~", "!!!"],
    N: ["~", "..", "!"],
}


def _noisy(text: str, label: str, rng: random.Random) -> str:
    """A casual copy: one or two of typos, spaces dropped (all or some), repeated marks."""
    ops = [
        op
        for op, ok in (
            ("typo", any(a in text for a, _ in _TYPOS) or _lge(text) != text),
            ("space", " " in text),
            ("marks", text[-1] in ".?!" or "가" <= text[-1] <= "힣"),
        )
        if ok
    ]
    k = min(len(ops), rng.choice((1, 1, 2)))
    chosen = ["typo"] if "typo" in ops and rng.random() < 0.6 else []  # casual spellings first when the text has one
    chosen += rng.sample([op for op in ops if op not in chosen], k - len(chosen)) if k > len(chosen) else []
    for op in sorted(chosen, key=("typo", "space", "marks").index):
        if op == "typo":
            fixes = [(a, b) for a, b in _TYPOS if a in text] + ([("ㄹ게", "ㄹ께")] if _lge(text) != text else [])
            a, b = rng.choice(fixes)
            text = _lge(text) if a == "ㄹ게" else text.replace(a, b, 1 if rng.random() < 0.5 else -1)
        elif op == "space":
            if rng.random() < 0.5:
                text = text.replace(" ", "")
            else:
                text = "".join(c for c in text if c != " " or rng.random() < 0.5)
        else:
            end = text.rstrip(".?!~…")
            mark = rng.choice(_MARKS[label])
            text = end + ("??" if text.endswith("?") else mark)
    return text


def _lge(text: str) -> str:
    return _LGE.sub(lambda m: m.group(1) + ("께" if _jong(m.group(1)) == _L else "게") + (m.group(2) or ""), text)


# ---------------------------------------------------------------- generation


def _label_rows(
    label: str, n_per_label: int, rng: random.Random, seen: set[str], version: int = 2
) -> list[tuple[str, str, str, str]]:
    templates, shares, first = VERSIONS[version]
    slots = SLOTS | {k: v + SLOTS[k] for k, v in first.items()}
    mine = [(f"{label}/{t[1]}/{i}", t) for i, t in enumerate(templates) if t[0] == label]
    cap = max(2, round(_CAP * n_per_label))
    counts: dict[str, int] = {}
    out: list[tuple[str, str, str, str]] = []

    def add(text: str, capability: str, tid: str) -> bool:
        if text in seen or counts.get(tid, 0) >= cap:
            return False
        seen.add(text)
        out.append((text, label, capability, tid))
        counts[tid] = counts.get(tid, 0) + 1
        return True

    def with_emoji(tid: str, template) -> tuple[str, str]:
        es = EMOJI[label]
        if rng.random() < 0.1:  # emoji alone
            return "".join(rng.choice(es) for _ in range(rng.randint(1, 3))), f"{label}/emoji/alone"
        e = rng.choice(es) * rng.choice((1, 1, 2, 3)) if rng.random() < 0.7 else "".join(rng.sample(es, 2))
        return render(template, rng, slots) + rng.choice(("", " ")) + e, tid + "+emoji"

    def fill(capability: str | None, k: int) -> None:
        if capability == "emoji":
            pool = [m for m in mine if m[1][1] in _EMOJI_BASES]
        else:
            pool = [m for m in mine if capability in (None, m[1][1])]
        fails: dict[str, int] = {}
        while k > 0:
            live = [m for m in pool if counts.get(m[0], 0) < cap and fails.get(m[0], 0) < 30]
            if not live:
                return
            tid, template = rng.choice(live)
            text, row_tid = with_emoji(tid, template) if capability == "emoji" else (render(template, rng, slots), tid)
            if add(text, capability or template[1], row_tid):
                k -= 1
            else:
                fails[tid] = fails.get(tid, 0) + 1

    for capability, share in shares[label].items():
        fill(capability, round(share * n_per_label))
    fill(None, round(sum(shares[label].values()) * n_per_label) - len(out))  # top up a capability short of texts
    # noisy copies: a capability drawn evenly (so negation, questions and neutral rows get their casual forms
    # too), and now and then a short row ("열받아", "ㅇㅋ 갈게"), whose unspaced and misspelt forms are common
    by_cap: dict[str, list] = {}
    for row in out:
        by_cap.setdefault(row[2], []).append(row)
    caps, short = sorted(by_cap), [r for r in out if len(r[0]) <= 14]
    tries = 0
    while len(out) < n_per_label and tries < 50 * n_per_label:
        tries += 1
        pool = short if short and rng.random() < 0.2 else by_cap[rng.choice(caps)]
        text, _, _, tid = rng.choice(pool)
        add(_noisy(text, label, rng), "noisy", tid.split("+")[0] + "+noisy")
    return out


def _generate(n_per_label: int = 1500, seed: int = 0, version: int = 2) -> list[tuple[str, str, str, str]]:
    """(text, label, capability, template id) rows; `generate` without the template id."""
    if type(version) is not int or version not in VERSIONS:
        raise ValueError(f"no generator version {version!r}; known: {sorted(VERSIONS)}")
    rng, seen = random.Random(seed), set()
    return [row for label in LABELS for row in _label_rows(label, n_per_label, rng, seen, version)]


def generate(n_per_label: int = 1500, seed: int = 0, version: int = 2) -> list[tuple[str, str, str]]:
    """About n_per_label (text, label, capability) rows per label, unique texts, the same for the same seed and
    version (2: the capability round's sentences; 3: with the negation forms of templates_neg, a quarter of
    every label). Raises ValueError for an unknown version."""
    return [r[:3] for r in _generate(n_per_label, seed, version)]


def write(path: str, n_per_label: int = 1500, seed: int = 0, exclude: set[str] | None = None, version: int = 2) -> int:
    """Write generate(n_per_label, seed, version) as Parquet (text, label, source="synthetic", capability),
    leaving out texts in `exclude` (compared in their canonical form); returns the number of rows written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    drop = set(canonical_list(sorted(exclude))) if exclude else set()
    rows = [r for r in generate(n_per_label, seed, version) if r[0] not in drop]
    table = pa.table(
        {
            "text": [r[0] for r in rows],
            "label": [r[1] for r in rows],
            "source": ["synthetic"] * len(rows),
            "capability": [r[2] for r in rows],
        }
    )
    pq.write_table(table, path)
    return len(rows)
