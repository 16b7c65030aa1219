"""The canonical text: what every member of a model sees, at fit time and at serve time.

A comment reaches the model in many byte forms that mean the same text: decomposed Hangul (NFD, what
macOS file names, some crawlers and copy-paste produce), full-width Latin and half-width forms (Excel,
old Windows tools), zero-width spaces and BOMs inside words, comments made only of Hangul fillers
(U+3164, a common "blank" comment). The encoder's tokenizer normalizes much of this (the shipped
tokenizer.json: control characters dropped; U+200B..U+200F, U+FEFF, U+2028/9, U+1680, U+FFFD, U+2581
turned into spaces; NFKC; runs of spaces collapsed). The char n-gram member read the raw text, so the
NFD form of a comment shared almost none of its n-grams with the NFC form it was fitted on (issue 22:
138 of 208 real reviews flipped labels). `canonical` does, once, for every member:

1. format characters (Unicode category Cf: U+200B..U+200F, U+2060, U+FEFF, U+00AD, ...), the Hangul
   fillers (U+115F, U+1160, U+3164, U+FFA0) and U+2800 (braille blank, another "invisible" comment) are
   removed, so a U+200B inside a word leaves the word whole;
2. other control characters (Cc) are removed, except the whitespace ones;
3. NFKC (composed Hangul, width folding: Ｆｕｌｌ -> Full, ｶﾞ -> ガ, compatibility forms), except that
   Hangul compatibility jamo (ㅋ ㅠ ㅎ, U+3131..U+318E) stay as typed and half-width jamo (U+FFA1..U+FFDC)
   become them: NFKC would turn ㅋ into a conjoining jamo and compose "ㅋㅠ" into "큐"; the shipped
   n-gram member's vocabulary holds ㅋ / ㅠ as typed (measured: full NFKC moved the shipped default's native
   test macro-F1 from 0.668 to 0.662). The encoder's tokenizer still applies its own NFKC on top, so what
   the encoder reads is a function of the canonical text, as before;
4. every run of whitespace (any Unicode space, tab, newline, U+2028/9, and U+FFFD / U+2581 which the
   tokenizer reads as spaces) becomes one space; leading and trailing whitespace is cut.

A text with nothing left is "" (served as `empty`). Nulls stay null. All steps are pyarrow.compute
kernels; only texts that mix compatibility jamo with other NFKC-changed characters (rare: ~0.1 % of
real comments) take a per-text Python path.
"""

from __future__ import annotations

import unicodedata

import pyarrow as pa
import pyarrow.compute as pc

# RE2 syntax (pyarrow.compute). \p{Cc} minus the whitespace controls, which step 4 turns into spaces.
_INVISIBLE = r"[\p{Cf}\x{115F}\x{1160}\x{3164}\x{FFA0}\x{2800}]|[^\P{Cc}\t\n\x{0B}\f\r\x{85}]"
_SPACES = r"[\p{Z}\t\n\x{0B}\f\r\x{85}\x{FFFD}\x{2581}]+"
_JAMO = r"[\x{3131}-\x{318E}\x{FFA1}-\x{FFDC}]"
# compatibility jamo <-> private-use stand-ins (untouched by NFKC); half-width jamo -> compatibility jamo
_JAMO_RANGE = range(0x3131, 0x318F)
_PROTECT = {c: 0xF0000 + c - 0x3131 for c in _JAMO_RANGE}
_PROTECT.update(
    {
        c: _PROTECT[int(unicodedata.decomposition(chr(c)).split()[1], 16)]
        for c in range(0xFFA1, 0xFFDD)
        if unicodedata.decomposition(chr(c)).startswith("<narrow> 31")
    }
)
_RESTORE = {0xF0000 + c - 0x3131: c for c in _JAMO_RANGE}


def _nfkc_keeping_jamo(text: str | None) -> str | None:
    if text is None:
        return None
    return unicodedata.normalize("NFKC", text.translate(_PROTECT)).translate(_RESTORE)


def canonical(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The canonical form of each text (see the module docstring): a string array of the same length
    and type (string / large_string; a dictionary array is decoded first); nulls stay null. The input
    must be valid UTF-8 (core.reader.decode_texts repairs invalid rows first): raises
    pyarrow.ArrowInvalid otherwise."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if pa.types.is_dictionary(texts.type):
        texts = texts.dictionary_decode()
    out = pc.replace_substring_regex(texts, _INVISIBLE, "")
    nfkc, nfc = pc.utf8_normalize(out, "NFKC"), pc.utf8_normalize(out, "NFC")
    jamo = pc.fill_null(pc.match_substring_regex(out, _JAMO), False)
    if pc.any(jamo).as_py():
        # rows with jamo: NFC is right unless something else in them needs NFKC (or jamo are half-width)
        bare = pc.replace_substring_regex(out, r"[\x{3131}-\x{318E}]", "")
        slow = pc.and_(
            jamo,
            pc.or_(
                pc.not_equal(pc.utf8_normalize(bare, "NFKC"), pc.utf8_normalize(bare, "NFC")),
                pc.match_substring_regex(out, r"[\x{FFA1}-\x{FFDC}]"),
            ),
        )
        out = pc.if_else(jamo, nfc, nfkc)
        idx = pc.indices_nonzero(slow)
        if len(idx):
            fixed = [_nfkc_keeping_jamo(t) for t in pc.take(out, idx).to_pylist()]
            values = out.to_pylist()
            for i, t in zip(idx.to_pylist(), fixed):
                values[i] = t
            out = pa.array(values, out.type)
    else:
        out = nfkc
    out = pc.replace_substring_regex(out, _SPACES, " ")
    return pc.utf8_trim_whitespace(out)


def canonical_list(texts: list) -> list:
    """`canonical` over a Python list of str / None (training and evaluation data)."""
    if not texts:
        return list(texts)
    return canonical(pa.array(texts, pa.large_string())).to_pylist()
