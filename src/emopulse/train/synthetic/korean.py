"""Korean for the synthetic sentences: Hangul final consonants, particle pairs (이/가, 은/는, ...) chosen after
the word they follow, the registers and their endings, and Pred, which conjugates a predicate."""

from __future__ import annotations

import re

# ---------------------------------------------------------------- Hangul: final consonants, particles


def _jong(ch: str) -> int:
    """Index of the final consonant of a Hangul syllable (0: none, 8: ㄹ); -1 when ch is no syllable."""
    o = ord(ch) - 0xAC00
    return o % 28 if 0 <= o < 11172 else -1


def _with_jong(ch: str, jong: int) -> str:
    o = ord(ch) - 0xAC00
    return chr(0xAC00 + o - o % 28 + jong)


_L, _N, _B, _SS = 8, 4, 17, 20  # ㄹ ㄴ ㅂ ㅆ
_DIGIT_JONG = dict(zip("0123456789", (21, 8, 0, 16, 0, 0, 1, 8, 8, 0)))  # 영 일 이 삼 사 오 육 칠 팔 구
# particle pairs, written "after a consonant / after a vowel"
# fmt: off
_PAIRS = ["이/가", "은/는", "을/를", "과/와", "아/야", "으로/로", "이랑/랑", "이야/야", "이에요/예요", "이다/다", "이네/네",
          "이네요/네요", "이었어/였어", "이었어요/였어요", "이었습니다/였습니다", "이었다/였다", "이라서/라서", "이라/라"]
# fmt: on
_JOSA = re.compile(r"(\S)(" + "|".join(sorted(map(re.escape, _PAIRS), key=len, reverse=True)) + ")")


def _particles(text: str) -> str:
    def pick(m):
        prev, (cons, vow) = m.group(1), m.group(2).split("/")
        j = _DIGIT_JONG.get(prev, _jong(prev))
        use = cons if j > 0 and not (cons == "으로" and j == _L) else vow
        return prev + use

    return _JOSA.sub(pick, text)


# ---------------------------------------------------------------- predicates and registers

REGS = ("hae", "haeyo", "da", "ne", "neyo", "hapnida")
_CASUAL = {"hae", "da", "ne", "past_hae", "past_da"}
_FORMAL = {"hapnida", "past_hapnida"}
# fmt: off
_COP = {  # noun + 이다 in each register (particle pairs resolved later)
    "hae": "이야/야", "haeyo": "이에요/예요", "da": "이다/다", "ne": "이네/네", "neyo": "이네요/네요",
    "hapnida": "입니다", "past_hae": "이었어/였어", "past_haeyo": "이었어요/였어요", "past_da": "이었다/였다",
    "past_hapnida": "이었습니다/였습니다",
}
_NOT = {"hae": "아니야", "haeyo": "아니에요", "da": "아니다", "ne": "아니네", "neyo": "아니네요", "hapnida": "아닙니다"}
_NEG_END = {"hae": "아", "haeyo": "아요", "hapnida": "습니다", "ne": "네", "neyo": "네요", "past_hae": "았어",
            "past_haeyo": "았어요", "past_da": "았다", "past_hapnida": "았습니다"}
_PAST_END = {"past_hae": "어", "past_haeyo": "어요", "past_da": "다", "past_hapnida": "습니다"}
# fmt: on


class Pred:
    """A predicate from its dictionary form and 해 form ("화가 나다", "화가 나"); `verb` for action/process
    verbs (plain -ㄴ다 form, past adnominal), `casual` when it is slang that has no polite register; a noun
    given as `cop` conjugates with 이다 ("감동", "최고")."""

    def __init__(self, d: str, hae: str = "", verb=False, casual=False, gae=False, cop=False, an=-1) -> None:
        self.d, self.hae, self.verb, self.casual, self.gae, self.cop = d, hae, verb, casual, gae, cop
        self.stem, self.an = d[:-1], an

    def short_neg(self, word: str = "안") -> Pred:
        """The predicate with 안 (or 못) before its last word ("슬프다" -> "안 슬프다", "화가 나다" -> "화가 안 나다",
        "잠을 자다" -> "잠을 못 자다"), or after the first `an` characters when given ("화나다" -> "화 안 나다",
        "실망하다" -> "실망 안 하다"; 0: before the whole predicate, "먹어 보다" -> "안 먹어 보다")."""
        k = self.an if self.an >= 0 else self.d.rfind(" ") + 1

        def put(w: str) -> str:
            return (w[:k].rstrip() + " " if k else "") + word + " " + w[k:]

        return Pred(put(self.d), put(self.hae), verb=self.verb)

    def form(self, reg: str, kind: str = "") -> str:
        s = self.stem
        if self.cop:
            return self.d + (_COP[reg] if kind == "" else {"ger": "이라서/라서", "adn": "인"}[kind])
        if kind == "an":  # 안 슬퍼, 화가 안 나요, 실망 안 했어
            return self.short_neg().form(reg)
        if kind == "mot":  # 잠을 못 자, 집중 못 해요, 마지막 인사도 못 했어 (verbs only)
            return self.short_neg("못").form(reg)
        if kind == "ado":  # 안 해도 (돼), 기다려도
            return self.hae + "도"
        if kind == "ya":  # 챙겨야 (돼)
            return self.hae + "야"
        if kind == "myeon":  # 보내면, 먹으면, 만들면, 외로우면
            j = _jong(s[-1])
            if j == _B and self.hae.endswith("워"):
                return s[:-1] + _with_jong(s[-1], 0) + "우면"
            return s + ("으면" if j not in (0, _L) else "면")
        if kind == "neg":  # 슬프지 않아, 화가 나지 않는다
            return s + "지 않" + (("는다" if self.verb else "다") if reg == "da" else _NEG_END[reg])
        if kind == "ger":
            return self.hae + "서"
        if kind == "adn":
            return self._adnominal()
        if kind == "stem":
            return s
        if kind == "fut":  # 좋 -> 좋을, 기쁘 -> 기쁠, 즐겁 -> 즐거울 (before 수 있다)
            j = _jong(s[-1])
            if j == _B and self.hae.endswith("워"):
                return s[:-1] + _with_jong(s[-1], 0) + "울"
            return s + "을" if j not in (0, _L) else s[:-1] + _with_jong(s[-1], _L)
        if reg.startswith("past_"):
            p = self.hae[:-1] + _with_jong(self.hae[-1], _SS)
            return p + _PAST_END[reg]
        last, j = s[-1], _jong(s[-1])
        drop_l = s[:-1] + _with_jong(last, 0) if j == _L else s
        if reg == "hae":
            return self.hae
        if reg == "haeyo":
            return self.hae + "요"
        if reg in ("ne", "neyo"):
            return drop_l + ("네" if reg == "ne" else "네요")
        if reg == "hapnida":
            return s + "습니다" if j not in (0, _L) else s[:-1] + _with_jong(last, _B) + "니다"
        if reg == "da":
            if not self.verb:
                return self.d
            return s + "는다" if j not in (0, _L) else s[:-1] + _with_jong(last, _N) + "다"
        raise ValueError(reg)

    def _adnominal(self) -> str:
        s, last, j = self.stem, self.stem[-1], _jong(self.stem[-1])
        if j == 0 or j == _L:  # 화나 -> 화난, 슬프 -> 슬픈, 치밀 -> 치민
            return s[:-1] + _with_jong(last, _N)
        if s.endswith(("있", "없", "밌")):
            return s + "는"
        if j == _B and self.hae.endswith("워"):  # 외롭 -> 외로운
            return s[:-1] + _with_jong(last, 0) + "운"
        return s + "은"


def _v(d: str, hae: str, **kw) -> Pred:
    return Pred(d, hae, verb=True, **kw)


def _n(noun: str) -> Pred:
    return Pred(noun, cop=True)
