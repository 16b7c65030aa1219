"""Synthetic, labelled Korean sentences for capabilities the training data lacks (CheckList-style augmentation).

The training mix (native KOTE comments and machine-translated GoEmotions) has few plain, explicit emotion
sentences, so the model misreads "너무 화가 난다", "열받아", negations ("슬프지 않아, 오히려 기뻐"), rhetorical
questions, unspaced text and casual typos. This module writes such sentences from templates and a small
lexicon: `generate(n_per_label, seed)` returns about n_per_label (text, label, capability) rows per label
(anger, sadness, happiness, neutral), deterministic for a seed, with unique texts. Capabilities:

- plain: an explicit emotion predicate with a cause, subject or opener, in several registers
  (합니다 / 해요 / 해 / -다 / -네 / -네요, present and past);
- neutral: facts, schedules, directions, descriptions, everyday reports, product facts, announcements;
- intensifier: 너무 / 진짜 / 정말 / 완전 / 엄청 / 겁나 / 넘 / 개- + emotion;
- negation: a negated feeling with the real one ("슬프지 않아, 오히려 기뻐" -> happiness, "화난 거 아니야,
  그냥 물어본 거야" -> neutral), negated facts (neutral), "별로다 / 안 좋다" complaints (anger);
- question: information questions (neutral) and rhetorical ones (emotion labels);
- slang: internet forms (킹받네, ㅡㅡ, ㅠㅠ, ㅋㅋ, 꿀잼, ㅇㅋ, 넵);
- emoji: label-consistent emoji appended to a sentence or alone;
- noisy: copies of other rows with spaces removed, casual spellings (햇, 조아, 이써, 됬어, -ㄹ께요) or
  repeated marks.

Shares per label are in _SHARES; a template is never drawn more than _CAP of n_per_label times, so no frame
dominates. Predicates are conjugated by a small helper (Pred) from their dictionary and 해 forms, and particles
(이/가, 은/는, 이에요/예요, ...) are chosen after the word they follow. Every sentence was written from general
knowledge of Korean, without seeing the behavioural test suites (evaluate/behaviour*.tsv) or any data set.
For n_per_label=1500 about 6,000 rows; `write` stores them as Parquet (text, label, source, capability).
"""

from __future__ import annotations

import random
import re

from ..core.schema import LABELS
from ..core.text import canonical_list

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

    def __init__(self, d: str, hae: str = "", verb=False, casual=False, gae=False, cop=False) -> None:
        self.d, self.hae, self.verb, self.casual, self.gae, self.cop = d, hae, verb, casual, gae, cop
        self.stem = d[:-1]

    def form(self, reg: str, kind: str = "") -> str:
        s = self.stem
        if self.cop:
            return self.d + (_COP[reg] if kind == "" else {"ger": "이라서/라서", "adn": "인"}[kind])
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


# ---------------------------------------------------------------- lexicon: predicates by group
# fmt: off
# predicates that several groups share
화가나, 화나, 열받, 짜증나, 짜증이나, 기분나쁘, 어이없 = (
    _v("화가 나다", "화가 나"), _v("화나다", "화나"), _v("열받다", "열받아", gae=True), _v("짜증나다", "짜증나", gae=True),
    _v("짜증이 나다", "짜증이 나"), Pred("기분 나쁘다", "기분 나빠"), Pred("어이없다", "어이없어", gae=True))
슬프, 우울, 속상, 서운, 외롭, 서글프, 허무, 쓸쓸, 허전, 눈물이, 눈물 = (
    Pred("슬프다", "슬퍼", gae=True), Pred("우울하다", "우울해", gae=True), Pred("속상하다", "속상해"),
    Pred("서운하다", "서운해"), Pred("외롭다", "외로워"), Pred("서글프다", "서글퍼"), Pred("허무하다", "허무해"),
    Pred("쓸쓸하다", "쓸쓸해"), Pred("허전하다", "허전해"), _v("눈물이 나다", "눈물이 나"), _v("눈물 나다", "눈물 나"))
기쁘, 행복, 좋, 신나, 고맙, 즐겁, 재밌, 최고, 감동, 기분좋, 마음에들, 맛있 = (
    Pred("기쁘다", "기뻐"), Pred("행복하다", "행복해", gae=True), Pred("좋다", "좋아", gae=True),
    _v("신나다", "신나", gae=True), Pred("고맙다", "고마워"), Pred("즐겁다", "즐거워"), Pred("재밌다", "재밌어", gae=True),
    _n("최고"), _n("감동"), Pred("기분이 좋다", "기분이 좋아"), _v("마음에 들다", "마음에 들어"), Pred("맛있다", "맛있어"))
있, 열리, 진행, 하 = Pred("있다", "있어"), _v("열리다", "열려"), _v("진행되다", "진행돼"), _v("하다", "해")

PREDS: dict[str, list[Pred]] = {
    # anger
    "ang": [화가나, 화나, 열받, 짜증나, 짜증이나, 기분나쁘, 어이없, _v("빡치다", "빡쳐", casual=True, gae=True),
            _v("성질나다", "성질나"), _v("열불 나다", "열불 나"), Pred("불쾌하다", "불쾌해"), Pred("어이가 없다", "어이가 없어"),
            _v("속 터지다", "속 터져"), _v("분통이 터지다", "분통이 터져"), _v("울화가 치밀다", "울화가 치밀어"),
            _v("혈압 오르다", "혈압 올라", casual=True)],
    "ang_w": [Pred("억울하다", "억울해", gae=True), Pred("분하다", "분해"), 화가나, 열받],
    "ang_b": [Pred("괘씸하다", "괘씸해"), 화가나, 어이없, 열받, 기분나쁘],
    "ang_t": [_v("약오르다", "약올라"), 열받, 짜증나],
    "ang_thing": [짜증나, 열받, _v("거슬리다", "거슬려"), _v("마음에 안 들다", "마음에 안 들어"), Pred("지긋지긋하다", "지긋지긋해")],
    "ang_at": [화가나, 화나, 짜증나, 짜증이나, 열받, 기분나쁘],
    "bad": [_n("별로"), Pred("안 좋다", "안 좋아"), Pred("좋지 않다", "좋지 않아")],
    "bad_i": [_n("별로"), Pred("안 좋다", "안 좋아")],
    "complain_place": [Pred("돈이 아깝다", "돈이 아까워"), _v("다시는 안 오다", "다시는 안 와"),
                       _v("다시는 이용 안 하다", "다시는 이용 안 해")],
    "complain_goods": [Pred("돈이 아깝다", "돈이 아까워"), _v("다시는 안 사다", "다시는 안 사"), Pred("환불받고 싶다", "환불받고 싶어")],
    "ang_never": [_v("약속을 한 번도 안 지키다", "약속을 한 번도 안 지켜"), _v("내 연락을 일부러 안 받다", "내 연락을 일부러 안 받아"),
                  _v("자기 잘못을 절대 인정 안 하다", "자기 잘못을 절대 인정 안 해"),
                  _v("빌린 돈을 끝까지 안 갚다", "빌린 돈을 끝까지 안 갚아")],
    # sadness
    "sad_loss": [슬프, Pred("마음이 아프다", "마음이 아파"), Pred("가슴이 아프다", "가슴이 아파"), 눈물이, 눈물,
                 Pred("마음이 무겁다", "마음이 무거워")],
    "sad_fail": [속상, 슬프, 우울, 눈물],
    "sad_waste": [허무, 속상, Pred("허탈하다", "허탈해")],
    "sad_mood": [우울, Pred("울적하다", "울적해"), _v("기분이 가라앉다", "기분이 가라앉아"), 슬프, 서글프],
    "sad_hurt": [Pred("서럽다", "서러워"), 서운, 속상],
    "sad_lonely": [외롭, 쓸쓸, 허전, Pred("울적하다", "울적해")],
    "miss": [Pred("그립다", "그리워")],
    "miss_p": [Pred("그립다", "그리워"), Pred("보고 싶다", "보고 싶어")],
    "sad_neg": [슬프, 우울, 속상, 서운, 외롭],
    "sad_plain": [슬프, 속상, 서운, 우울, 서글프, 허무, 쓸쓸],
    "sad_tears": [눈물이, 눈물],
    "sad_why": [슬프, 우울, 외롭, 쓸쓸, 허전, Pred("울적하다", "울적해")],
    "okay": [Pred("괜찮다", "괜찮아")],
    "fun_neg": [재밌, 즐겁, 신나],
    "hap_core_neg": [행복, 즐겁, 기쁘, 신나],
    # happiness
    "hap_event": [기쁘, 행복, 좋, 신나, 기분좋, _v("살맛 나다", "살맛 나"), Pred("기분이 날아갈 것 같다", "기분이 날아갈 것 같아")],
    "hap_proud": [Pred("뿌듯하다", "뿌듯해"), 기쁘],
    "thanks": [고맙],
    "grateful": [Pred("감사하다", "감사해"), 고맙],
    "moved": [감동],
    "moved_past": [감동, _v("감동받다", "감동받아")],
    "excite": [_v("설레다", "설레"), _v("기대되다", "기대돼"), _v("두근거리다", "두근거려"), 신나],
    "hap_fun": [재밌, 최고],
    "hap_like": [좋, 마음에들, 최고],
    "hap_tasty": [맛있, 최고],
    "hap_core": [행복, 즐겁, 좋, 기분좋, 신나],
    "hap_event2": [기쁘, 행복, 좋, 신나, 기분좋],
    "hap_felt2": [기쁘, 행복, 좋, 신나, 즐겁],
    "fun": [재밌], "tasty": [맛있], "like": [좋, 마음에들], "cute": [Pred("귀엽다", "귀여워"), Pred("예쁘다", "예뻐")],
    "hap_past": [즐겁, 행복, 재밌, 좋],
    "hap_moment": [행복, 좋, Pred("꿈만 같다", "꿈만 같아")],
    "hap_felt": [기쁘, 행복, 좋, 신나, Pred("홀가분하다", "홀가분해"), 고맙],
    "hap_tears": [기쁘, 행복, 고맙, 감동],
    "dull": [Pred("지루하다", "지루해"), Pred("나쁘다", "나빠"), Pred("싫다", "싫어")],
    "hap_good": [재밌, 좋, 최고, 마음에들],
    "hard": [Pred("힘들다", "힘들어"), Pred("어렵다", "어려워"), Pred("무섭다", "무서워")],
    # neutral
    "n_begin": [_v("시작하다", "시작해"), 있, 열리],
    "n_held": [있, 열리, 진행],
    "n_start_end": [_v("시작하다", "시작해"), _v("끝나다", "끝나")],
    "있다": [있], "없다": [Pred("없다", "없어")], "오다": [_v("오다", "와")], "가다": [_v("가다", "가")],
    "하다": [하], "되다": [_v("되다", "돼")], "서다": [_v("서다", "서")], "쓰다": [_v("쓰다", "써")],
    "두다": [_v("두다", "둬")], "내다": [_v("내다", "내")], "어떻다": [Pred("어떻다", "어때")],
    "걸리다": [_v("걸리다", "걸려")], "살다": [_v("살다", "살아")], "쉬다": [_v("쉬다", "쉬어")],
    "만나다": [_v("만나다", "만나")], "보내다": [_v("보내다", "보내")], "올리다": [_v("올리다", "올려")],
    "일하다": [_v("일하다", "일해")], "전공하다": [_v("전공하다", "전공해")], "출발하다": [_v("출발하다", "출발해")],
    "도착하다": [_v("도착하다", "도착해")], "들어가다": [_v("들어가다", "들어가")], "진행되다": [진행],
    "put_in": [_v("넣어 두다", "넣어 둬")], "put_on": [_v("올려 두다", "올려 둬")],
    "change": [_v("바뀌다", "바뀌어"), _v("변경되다", "변경돼")],
    "닫다": [_v("닫다", "닫아")], "열다": [_v("열다", "열어")],
    "made": [_v("생산되다", "생산돼"), _v("만들어지다", "만들어져")], "built": [_v("지어지다", "지어져")],
    "see": [_v("보다", "봐")], "다니다": [_v("다니다", "다녀")],
    "chore": [_v("빨래를 돌리다", "빨래를 돌려"), _v("분리수거를 하다", "분리수거를 해"), _v("화분에 물을 주다", "화분에 물을 줘"),
              _v("은행에 다녀오다", "은행에 다녀와"), _v("장을 보다", "장을 봐"), _v("차에 기름을 넣다", "차에 기름을 넣어")],
    "weather": [_v("비가 오다", "비가 와"), _v("눈이 오다", "눈이 와"), Pred("흐리다", "흐려"), Pred("맑다", "맑아"),
                _v("바람이 많이 불다", "바람이 많이 불어"), _v("기온이 뚝 떨어지다", "기온이 뚝 떨어져")],
    "result": [_v("전원이 켜지다", "전원이 켜져"), _v("화면이 꺼지다", "화면이 꺼져"), _v("설정 창이 열리다", "설정 창이 열려"),
               _v("녹음이 시작되다", "녹음이 시작돼"), _v("처음 화면으로 돌아가다", "처음 화면으로 돌아가")],
    "cook": [_v("김치찌개 만들 때는 돼지고기를 먼저 볶다", "김치찌개 만들 때는 돼지고기를 먼저 볶아"),
             _v("라면은 물이 끓으면 면을 넣다", "라면은 물이 끓으면 면을 넣어"),
             _v("카레 만들 때는 양파를 먼저 볶다", "카레 만들 때는 양파를 먼저 볶아"),
             _v("미역국 만들 때는 미역을 먼저 불리다", "미역국 만들 때는 미역을 먼저 불려"),
             _v("샐러드 만들 때는 채소를 먼저 씻다", "샐러드 만들 때는 채소를 먼저 씻어"),
             _v("밥을 지을 때는 쌀을 세 번 정도 씻다", "밥을 지을 때는 쌀을 세 번 정도 씻어"),
             _v("곰국은 약한 불로 오래 끓이다", "곰국은 약한 불로 오래 끓여")],
}

# ---------------------------------------------------------------- lexicon: slot fillers ({name} in a template)

INT = ["너무", "진짜", "정말", "완전", "엄청", "겁나", "넘", "너무너무", "진짜 너무", "정말 너무", "되게", "진심", "진짜 완전"]
INT_FORMAL = ["정말", "너무", "매우", "무척", "몹시", "정말 너무"]
NAMES = ["민수", "지훈", "서연", "수진", "현우", "지민", "은지", "준호", "하은", "도윤"]

SLOTS: dict[str, list[str]] = {
    "name": NAMES,
    # anger
    "ang_who": ["친구", "동생", "팀장님", "룸메이트", "걔", "그 사람", "남자친구", "여자친구", "같은 팀 동료", "부장님",
                "언니", "형", "민수", "지훈"],
    "ang_act": ["약속을 또 어겨서", "연락도 없이 약속에 안 나와서", "또 거짓말을 해서", "내 말을 무시해서",
                "한 시간이나 늦게 와서", "내 물건을 허락도 없이 써서", "뒤에서 내 욕을 하고 다녀서", "자기 일을 나한테 떠넘겨서",
                "빌려 간 돈을 안 갚아서", "말을 함부로 해서", "내 말을 끝까지 안 들어서", "같은 실수를 또 해서",
                "내 택배를 마음대로 뜯어서", "나한테 소리를 질러서", "사람들 앞에서 나를 망신 줘서"],
    "ang_svc": ["주문한 거랑 다른 물건이 와서", "고객센터가 전화를 계속 안 받아서", "환불이 안 된다고 해서",
                "아무 설명도 없이 요금이 올라서", "택배가 또 망가진 채로 와서", "예약을 했는데 안 돼 있다고 해서",
                "배송이 2주째 안 와서", "직원이 불친절하게 굴어서", "수리를 맡겼는데 더 망가져서 와서"],
    "ang_sit": ["새치기를 당해서", "{ang_svc}", "{ang_svc}", "윗집이 밤새 쿵쾅거려서", "누가 내 차를 긁고 그냥 가 버려서",
                "버스가 정류장에 안 서고 그냥 가서", "누가 우리 집 앞에 쓰레기를 버리고 가서", "옆자리 사람이 영화 내내 떠들어서", "누가 내 자전거를 훔쳐 가서",
                "하루 종일 스팸 전화가 와서", "한 시간을 기다렸는데 가게 문을 안 열어서"],
    "ang_cause": ["{ang_who}이/가 {ang_act}", "{ang_who}이/가 {ang_act}", "{ang_sit}"],
    "ang_agent": ["그 사람", "팀장님", "윗집", "룸메이트", "걔", "그 직원", "택배 회사", "고객센터", "부장님", "층간 소음",
                  "그 댓글", "새로 온 상사", "옆집 개", "같은 반 애들"],
    "ang_open": ["아 진짜", "하", "아오", "오늘도", "생각할수록", "솔직히", "지금", "아까부터", "다시 생각해도", "자꾸",
                 "그 얘기 들으니까", "그 사람 얼굴만 보면"],
    "ang_w_cause": ["다 이긴 경기를 마지막에 져서", "한 문제 차이로 떨어져서", "내 잘못도 아닌데 나만 혼나서",
                    "하지도 않은 일로 의심받아서", "열심히 한 건 난데 칭찬은 걔가 받아서", "잘못은 쟤가 했는데 내가 사과해야 해서",
                    "똑같이 일했는데 나만 월급이 깎여서", "새치기한 사람은 그냥 두고 나한테만 뭐라고 해서"],
    "ang_b_cause": ["믿었던 친구가 뒤통수를 쳐서", "도와줬더니 은혜를 원수로 갚아서", "거짓말을 하고도 뻔뻔하게 굴어서",
                    "내가 한 일을 자기가 한 것처럼 말해서", "잘해 줬는데 뒤에서 내 험담을 해서",
                    "급할 때만 연락하고 필요 없으면 무시해서"],
    "ang_t_cause": ["친구가 자꾸 놀려서", "동생이 메롱 하면서 도망가서", "게임에서 계속 져서", "다 이긴 게임을 막판에 져서",
                    "친구가 내 앞에서 일부러 자랑해서", "동생이 내 간식을 몰래 먹고 시치미를 떼서"],
    "ang_thing": ["이 회사 일 처리 방식", "그 사람 말투", "매번 똑같은 핑계", "끝없는 야근", "층간 소음", "말도 안 되는 규칙",
                  "광고만 잔뜩 나오는 이 앱", "직원들 불친절한 태도", "맨날 늦는 배송", "상사의 잔소리"],
    "ang_after_hae": ["다시는 안 볼 거야", "한 번만 더 그러면 가만 안 있을 거야", "참을 만큼 참았어", "이번엔 그냥 못 넘어가",
                      "사과 안 하면 절대 용서 안 해"],
    "ang_after_haeyo": ["다시는 이용 안 할 거예요", "정식으로 항의할 거예요", "꼭 사과받고 싶어요", "이번엔 그냥 못 넘어가요",
                        "책임자랑 통화하고 싶어요"],
    "svc_place": ["음식", "서비스", "직원 태도", "맛", "가격 대비 양", "이 식당 위생 상태", "숙소 청결 상태", "고객 응대",
                  "이 호텔 서비스"],
    "svc_goods": ["배송", "포장 상태", "이 제품 품질", "화질", "음질", "마감 상태", "배터리 성능"],
    "ang_tail": ["진짜", "아 진짜", "정말", "진심"],
    "ang_q": ["이게 말이 돼?", "지금 장난해?", "제정신이야?", "나한테 왜 그래?", "도대체 몇 번을 말해야 알아들어?",
              "내가 호구로 보여?", "사람을 뭘로 보는 거야?", "누구 놀리는 거야?", "이게 사과라고 한 거야?", "매번 이런 식이야?",
              "내 말은 귀에 안 들려?", "대체 왜 이러는 건데?", "양심이 있긴 한 거야?", "이걸 지금 나보고 믿으라고?",
              "어떻게 사람이 이럴 수가 있어?", "내가 만만해?", "장난하는 것도 아니고 이게 뭐야?"],
    "ang_q_ctx": ["두 시간이나 기다렸어.", "벌써 세 번째야.", "약속 또 어겼지.", "돈은 받아 놓고 연락이 없네.", "또 내 탓이래.",
                  "사과 한마디 없이 그냥 가 버렸어.", "환불은 안 된대.", "또 나한테 일을 떠넘겼어.",
                  "새치기를 해 놓고 오히려 큰소리야.", "내 물건을 또 말도 없이 가져갔어."],
    "ang_q_pol": ["이게 말이 돼요?", "지금 장난하세요?", "어떻게 이럴 수가 있어요?", "고객을 뭘로 보는 거예요?",
                  "몇 번을 말씀드려야 하나요?", "이걸 돈 받고 파신다고요?", "대체 일 처리를 왜 이렇게 하세요?",
                  "사과 한마디 없이 이러시면 되나요?", "제가 우습게 보이세요?"],
    "ang_q_pol_ctx": ["벌써 세 번째 문의예요.", "한 달째 환불을 기다리고 있어요.", "예약한 방이 없다니요.",
                      "주문한 지 2주가 넘었어요.", "전화를 열 번도 넘게 했어요.", "설명도 없이 요금이 두 배로 올랐어요."],
    "ang_habit": ["약속에 늦어", "말을 그렇게 해", "내 말을 무시해", "자기 일을 나한테 미뤄", "거짓말을 해",
                  "남의 물건을 막 써", "나한테만 뭐라고 해", "연락을 씹어"],
    "ang_slang_ctx": ["약속 또 파토남", "환불 거절당함", "와이파이 또 끊김", "주문한 거 또 잘못 옴", "층간소음 또 시작됨",
                      "팀플 조원 또 잠수 탐", "버스 눈앞에서 놓침", "새치기 당함", "택배 또 분실됨", "알바비 또 밀림",
                      "게임 또 트롤 만남", "회의 또 연장됨"],
    "ang_slang": ["킹받네", "개빡치네", "열받네", "빡치네", "아 진짜 킹받아", "짜증나 ㅡㅡ", "어이없네 ㅡㅡ", "빡침",
                  "개열받음", "열받게 하네", "아오 빡쳐", "혈압 오르네", "개짜증", "킹받는다 진짜", "하 빡쳐"],
    "ang_slang2": ["선 넘네", "노답이네", "양심 어디 감", "왜 저래 ㅡㅡ", "정신 나갔나 ㅡㅡ", "개념 없네", "어이털리네"],
    "ang_mark": ["ㅡㅡ", "ㅡㅡ;", "-_-", "ㅡㅡ 진짜"],
    # sadness
    "sad_loss_cause": ["할머니가 돌아가셔서", "키우던 강아지가 하늘나라로 가서", "가장 친한 친구가 멀리 이사 가서",
                       "여자친구랑 헤어져서", "남자친구랑 헤어져서", "오랜 친구와 연락이 끊겨서", "정들었던 동료가 회사를 떠나서",
                       "아끼던 고양이가 많이 아파서", "아빠가 많이 편찮으셔서", "졸업하고 친구들이랑 뿔뿔이 흩어져서",
                       "다시는 그 사람을 못 본다고 생각하니", "할머니가 나를 못 알아보셔서"],
    "sad_fail_cause": ["시험에 또 떨어져서", "열심히 준비한 면접에서 떨어져서", "아끼던 반지를 잃어버려서",
                       "노력했는데 결과가 안 좋아서", "꿈을 포기해야 해서",
                       "애써 만든 케이크가 다 망가져서", "대회에서 예선 탈락해서", "성적이 또 떨어져서", "제일 아끼던 컵이 깨져서",
                       "기다리던 여행이 취소돼서", "공들여 쓴 글이 다 날아가서"],
    "sad_waste_cause": ["몇 달 동안 준비한 일이 물거품이 돼서", "열심히 준비한 면접에서 떨어져서", "노력했는데 결과가 안 좋아서",
                        "공들여 쓴 글이 다 날아가서", "밤새 한 과제 파일이 다 날아가서", "몇 년을 모은 돈을 한순간에 잃어서"],
    "sad_mood_cause": ["요즘 되는 일이 하나도 없어서", "하루 종일 비가 와서", "일요일 밤이라 그런지", "연휴가 끝나서",
                       "오늘따라 이유 없이", "밤만 되면", "혼자 있으면 자꾸", "비 오는 날이면", "아무 이유 없이",
                       "요즘 들어", "괜히", "왠지"],
    "sad_hurt_cause": ["아무도 내 생일을 기억 못 해서", "엄마가 동생 편만 들어서", "친구들이 나만 빼고 놀러 가서",
                       "제일 친한 친구가 내 말을 안 믿어 줘서", "아파도 챙겨 주는 사람이 없어서",
                       "열심히 했는데 아무도 알아주지 않아서", "남자친구가 기념일을 잊어버려서", "가족들이 내 얘기를 흘려들어서"],
    "sad_lonely_cause": ["혼자 밥 먹을 때마다", "불 꺼진 집에 혼자 들어오면", "명절에 혼자 있으니까", "아이들이 다 커서 떠나니까",
                         "친구들이 다 멀리 살아서", "주말인데 연락 오는 사람이 하나도 없어서", "룸메이트가 이사 가고 나니",
                         "다들 바쁘다고 만나 주지 않아서", "타지에서 혼자 지내다 보니"],
    "miss_obj": ["고향", "어릴 적 살던 동네", "학창 시절", "엄마가 해 주던 밥", "그때 그 시절", "예전의 내 모습", "대학 시절 친구들",
                 "할머니 댁 마당"],
    "miss_person": ["돌아가신 할머니", "하늘나라에 간 우리 강아지", "먼저 떠난 친구", "헤어진 그 사람", "멀리 이사 간 친구",
                    "돌아가신 아빠", "군대 간 동생", "유학 간 언니"],
    "sad_think": ["할머니", "헤어진 그 사람", "떠나간 우리 강아지", "멀리 떠난 친구", "돌아가신 아빠", "예전 우리 가족"],
    "sad_after_hae": ["아무것도 하기 싫어", "그냥 혼자 있고 싶어", "마음이 텅 빈 것 같아", "잠이 안 와", "밥도 안 넘어가"],
    "sad_q": ["왜 나만 이럴까", "나는 왜 이렇게 운이 없을까", "언제쯤 괜찮아질까", "우리 다시 만날 수 있을까",
              "왜 다들 내 곁을 떠날까", "내가 뭘 그렇게 잘못했을까", "이 외로움은 언제 끝날까", "왜 좋은 사람들은 먼저 떠날까",
              "나는 왜 늘 혼자일까", "열심히 살아도 왜 제자리일까", "그때 조금만 더 잘해 줄걸 그랬나", "왜 아무도 내 마음을 몰라줄까",
              "이번에도 안 되는 걸까", "나는 왜 이것밖에 안 될까", "다시 웃을 수 있는 날이 올까"],
    "sad_q_ctx": ["오늘도 혼자 밥 먹었어.", "또 떨어졌어.", "다들 바빠서 연락이 없네.", "생일인데 아무도 연락이 없어.",
                  "열심히 했는데 또 안 됐어.", "그 사람이 떠난 지 벌써 일 년이야.", "하루 종일 아무랑도 말을 안 했어.",
                  "이번에도 나만 빼고 다 붙었어."],
    "sad_q_open": ["오늘따라", "요즘 들어", "밤만 되면", "혼자 있으면", "비만 오면", "오늘은"],
    "miss_person_q": ["하늘나라에 간 우리 강아지", "먼저 떠난 친구", "헤어진 그 사람", "멀리 이사 간 친구", "연락 끊긴 옛 친구"],
    "neg_adv": ["하나도", "전혀", "별로", "도무지", "조금도"],
    "sp": ["", " "],
    "sad_q_end": ["", "?", "...", "..", " ..."],
    "sad_absent": ["네가", "그 사람이", "우리 강아지가", "할머니가", "친구들이"],
    "sad_slang_ctx": ["시험 망함", "또 떨어짐", "헤어졌어", "오늘도 혼밥", "생일인데 연락 하나 없음", "폰 액정 깨짐",
                      "최애 그룹 해체래", "여행 취소됨", "월급 벌써 다 씀", "친구 이민 감", "강아지 무지개다리 건넘",
                      "짝사랑 끝남", "과제 파일 날아감"],
    "sad_slang": ["ㅠㅠ", "ㅜㅜ", "ㅠㅠㅠ", "흑흑", "슬프다ㅠㅠ", "눈물 나ㅠ", "맴찢", "마음 찢어져ㅠ", "또르르", "힝ㅠ",
                  "우울해ㅜㅜ", "흐엉ㅠㅠ", "속상해ㅠ", "ㅠㅠ 나 어떡해"],
    "sad_tear": ["ㅠㅠ", "ㅜㅜ", "ㅠ", "ㅜ", "ㅠㅠㅠ", "흑흑"],
    # happiness
    "hap_event_cause": ["시험에 합격해서", "원하던 회사에 붙어서", "드디어 취업해서", "월급이 올라서", "첫 월급을 받아서",
                        "오랜만에 가족이 다 모여서", "친구들이 깜짝 파티를 해 줘서", "우리 팀이 결승에서 이겨서",
                        "복권에 당첨돼서", "다이어트에 성공해서", "기다리던 택배가 와서",
                        "아기가 처음으로 엄마라고 불러서", "좋아하는 가수 콘서트 표를 구해서", "오랜만에 친구를 만나서",
                        "부모님이 건강하시다는 검사 결과를 들어서", "햇살이 따뜻해서", "장학금을 받게 돼서"],
    "hap_proud_cause": ["혼자서 일을 다 끝내서", "매일 운동한 지 백 일이 돼서", "처음 만든 요리를 가족들이 맛있게 먹어 줘서",
                        "아이가 혼자 신발 끈을 묶어서", "봉사 활동을 마치고 나니", "제자가 좋은 대학에 붙어서",
                        "목표했던 책 열 권을 다 읽어서", "마라톤을 끝까지 완주해서"],
    "thanks_cause": ["도와줘서", "생일 챙겨 줘서", "끝까지 믿어 줘서", "바쁜데 와 줘서", "맛있는 밥 사 줘서", "항상 응원해 줘서",
                     "내 얘기 들어 줘서", "선물 보내 줘서", "힘들 때 옆에 있어 줘서", "이사 도와줘서"],
    "grateful_cause": ["도와주셔서", "바쁘신데 와 주셔서", "늘 응원해 주셔서", "친절하게 알려 주셔서", "좋은 선물 보내 주셔서",
                       "끝까지 기다려 주셔서", "따뜻하게 맞아 주셔서"],
    "moved_cause": ["친구가 손편지를 써 줘서", "아이가 직접 만든 카드를 줘서", "생각지도 못한 선물을 받아서",
                    "동료들이 몰래 생일 파티를 준비해 줘서", "팬들이 응원 메시지를 보내 줘서", "부모님이 깜짝 영상 편지를 보내셔서"],
    "excite_cause": ["내일 여행 갈 생각에", "좋아하는 가수 콘서트가 내일이라", "곧 아기가 태어난다니", "다음 주에 제주도 간다니",
                     "주말에 첫 데이트라서", "새 학기가 시작돼서", "드디어 내일 이사라서", "내일부터 휴가라서", "오랜만에 친구들 만날 생각에",
                     "내일 새 차가 나온다니"],
    "hap_media": ["이 영화", "어제 본 예능", "이 책", "오늘 수업", "새로 나온 게임", "이번 시즌 드라마", "친구랑 한 보드게임",
                  "이 웹툰", "오늘 본 공연", "이 유튜버 영상"],
    "hap_thing": ["새로 산 신발", "선물 받은 목도리", "이 카페 분위기", "새로 이사 온 집", "이번에 바꾼 휴대폰", "여기 경치",
                  "이 노래", "새로 산 원피스", "우리 동네 공원"],
    "hap_food": ["여기 떡볶이", "엄마가 끓여 준 된장찌개", "이 집 국밥", "갓 구운 빵", "오늘 먹은 초밥", "편의점 신상 아이스크림",
                 "할머니표 김치전", "이 집 짜장면"],
    "hap_company": ["너랑 있으면", "가족들이랑 함께 있으면", "우리 강아지랑 산책할 때면", "좋아하는 노래 들으면서 드라이브할 때",
                    "친구들이랑 수다 떨 때", "맛있는 거 먹을 때", "주말 아침에 늦잠 잘 때", "아이들 웃는 얼굴을 보면"],
    "hap_open": ["오늘은", "요즘", "모처럼", "간만에", "오랜만에", "오늘따라", "아침부터"],
    "hap_day": ["오늘 하루", "이번 여행", "어제 파티", "함께한 시간", "이번 주말", "졸업식", "오늘 데이트", "가족 캠핑"],
    "hap_after_hae": ["날아갈 것 같아", "오늘 기분 최고야", "웃음이 멈추질 않아", "자꾸 웃음이 나", "세상을 다 가진 기분이야"],
    "hap_q": ["이렇게 좋을 수가 있나", "나 오늘 운 너무 좋은 거 아니야?", "이게 꿈이야 생시야?", "이렇게 재밌어도 되는 거야?",
              "세상에 이런 행운이 또 있을까?", "내가 이런 선물을 받아도 되나?", "오늘 완전 최고의 하루 아니야?",
              "이 맛을 왜 이제야 알았지?", "누가 이렇게 예쁘게 만들었어?", "이런 날만 계속되면 얼마나 좋을까?",
              "나 지금 너무 행복한 거 티 나?"],
    "hap_q_any": ["이렇게 좋을 수가 있나", "나 오늘 운 너무 좋은 거 아니야?", "이게 꿈이야 생시야?", "오늘 완전 최고의 하루 아니야?",
                  "이런 날만 계속되면 얼마나 좋을까?", "나 지금 너무 행복한 거 티 나?", "세상에 이런 행운이 또 있을까?"],
    "hap_q_ctx": ["드디어 합격했어!", "가족들이랑 여행 왔어.", "첫 월급 받았다!", "친구들이 깜짝 파티를 열어 줬어.",
                  "응원하는 팀이 우승했어!", "기다리던 휴가가 시작됐어.", "오랜만에 다 같이 모였어.", "선물을 이렇게 많이 받았어."],
    "cute_subj": ["우리 아기", "우리 집 고양이", "이 강아지", "조카", "새로 온 아기 고양이"],
    "taste_subj": ["이 케이크", "오늘 저녁", "이 집 국밥", "엄마 김치찌개", "이 빵"],
    "fun_subj": ["이 영화", "이 게임", "이 웹툰", "오늘 수업", "이 예능"],
    "can_q": ["있나", "있을까", "있어?", "있나?", "있을까?"],
    "hap_slang_luck_ctx": ["월급날", "로또 오천 원 당첨", "시험 끝", "휴가 확정", "콘서트 티켓팅 성공", "칼퇴 성공",
                           "장학금 받음", "치킨 쿠폰 생김", "오늘 수업 휴강", "택배 도착", "기프티콘 받음", "주말 연휴 시작"],
    "hap_slang_luck": ["개꿀", "개이득", "대박", "신난다ㅋㅋ", "행복해ㅎㅎ", "최고ㅋㅋ", "짱이다", "야호", "아싸", "넘 좋아ㅎㅎ",
                       "개좋아ㅋㅋ"],
    "hap_slang_fun_ctx": ["이 영화", "어제 예능", "이 웹툰", "오늘 방송", "새로 나온 게임", "이번 화", "이 유튜버"],
    "hap_slang_fun": ["꿀잼", "개꿀잼", "핵꿀잼", "존잼", "개웃겨ㅋㅋ", "미쳤다ㅋㅋㅋ 너무 재밌어", "꿀잼 인정"],
    "hap_slang_food_ctx": ["여기 떡볶이", "이 집 국밥", "엄마표 김치찌개", "편의점 신상 빵", "오늘 먹은 마라탕", "이 집 치킨"],
    "hap_slang_food": ["존맛", "존맛탱", "개맛있어", "꿀맛", "JMT", "맛있어서 눈물 날 뻔ㅋㅋ"],
    "hard_ctx": ["걱정했는데", "겁먹었는데", "긴장했는데", "처음이라 떨렸는데"],
    "hap_laugh": ["ㅋㅋ", "ㅎㅎ", "ㅋㅋㅋ", "ㅎㅎㅎ", "히히", "ㅋㅋㅋㅋ"],
    # neutral
    "day": ["내일", "모레", "이번 주 금요일", "다음 주 월요일", "오늘", "토요일", "다음 달 3일", "수요일"],
    "time": ["오전 10시", "오후 3시", "저녁 7시", "9시 반", "정오", "오후 2시 30분", "아침 8시", "오후 4시"],
    "n_event": ["회의", "수업", "면접", "세미나", "정기 점검", "동아리 모임", "건강검진", "발표", "설명회", "워크숍"],
    "n_material": ["회의", "세미나", "수업", "설명회", "워크숍", "발표", "교육"],
    "n_room": ["본관 3층 회의실", "2층 대강의실", "도서관 세미나실", "별관 101호", "1층 로비", "시청 대회의실"],
    "n_place": ["도서관", "우체국", "주민센터", "편의점", "버스 정류장", "약국", "은행", "체육관", "구내식당", "시청"],
    "n_landmark": ["정문", "지하철역", "큰 사거리", "공원", "주차장", "분수대"],
    "n_side": ["옆", "앞", "뒤", "건너편", "왼쪽", "오른쪽"],
    "n_bus": ["7", "152", "34", "6002", "720", "15"],
    "n_min": ["10", "15", "20", "30", "8"],
    "n_obj": ["우산", "충전기", "여권", "열쇠", "영수증", "보고서", "이어폰", "도시락"],
    "in_place": ["서랍 안", "가방 안", "현관 신발장", "사물함", "두 번째 서랍", "책상 서랍"],
    "on_place": ["책상 위", "식탁 위", "선반 위", "신발장 위", "냉장고 위", "프린터 옆"],
    "n_product": ["노트북", "유모차", "캐리어", "자전거", "청소기", "전기밥솥"],
    "n_weight": ["이 노트북은 무게가 1.3킬로그램", "이 유모차는 무게가 7킬로그램", "이 캐리어는 무게가 3킬로그램",
                 "이 자전거는 무게가 11킬로그램", "이 청소기는 무게가 2.5킬로그램", "이 이어폰은 한쪽 무게가 5그램",
                 "이 텀블러는 무게가 300그램", "이 전기밥솥은 용량이 6인분"],
    "n_facility": ["도서관", "구내식당", "헬스장", "주민센터 민원실", "수영장", "열람실"],
    "n_hour": ["밤 9시", "오후 6시", "밤 10시", "오후 8시", "저녁 7시"],
    "n_food": ["김치찌개", "비빔밥", "샌드위치", "라면", "김밥", "돈가스", "칼국수"],
    "n_button": ["전원", "오른쪽", "왼쪽 위", "빨간색", "메뉴", "가운데"],
    "n_window": ["새벽 2시부터 4시까지", "오전 9시부터 11시까지", "밤 12시부터 새벽 3시까지", "오후 1시부터 3시까지"],
    "n_system": ["서버", "홈페이지", "앱", "결제 시스템", "엘리베이터", "인터넷 뱅킹"],
    "n_work": ["은행에서 회계 담당으로", "병원에서 간호사로", "출판사에서 편집자로", "물류 회사에서 운전기사로",
               "초등학교에서 영양사로", "구청에서 인사 담당으로", "호텔에서 요리사로", "공장에서 품질 관리 담당으로"],
    "n_city": ["부산", "대전", "광주", "인천", "춘천", "제주", "수원", "울산"],
    "n_shared": ["공유 폴더", "단체 채팅방", "팀 게시판", "팀 드라이브"],
    "n_store": ["그 빵집", "동네 세탁소", "우리 동네 마트", "학교 앞 문구점", "그 식당", "역 앞 꽃집"],
    "dow": ["월요일", "화요일", "일요일", "수요일", "목요일"],
    "n_item": ["이 텀블러", "이 우산", "이 공책", "저 모자", "이 충전기", "이 샴푸"],
    "n_price": ["3,000원", "만 원", "12,500원", "4만 9천 원", "2,500원", "8천 원"],
    "n_routine_time": ["점심시간에는", "주말에는", "아침에는", "퇴근 후에는", "저녁에는"],
    "n_activity": ["산책", "운동", "독서", "빨래", "청소", "요가", "스트레칭"],
    "n_org": ["고객 지원팀", "인사팀", "편집부", "총무과", "연구소"],
    "n_bldg": ["본관", "별관", "A동", "신관"],
    "n_floor": ["3", "5", "11", "2", "7"],
    "n_subj": ["부장님", "팀장님", "민수", "지훈", "서연", "수진 씨", "우리 과장님"],
    "n_mine": ["제 가방", "새로 산 우산", "동생 자전거", "우리 집 대문", "회사 차", "이 의자"],
    "n_color": ["검은색", "파란색", "회색", "흰색", "빨간색", "초록색"],
    "n_exit": ["1", "2", "3", "5", "7"],
    "n_dir": ["오른쪽으로", "왼쪽으로", "길 건너서"],
    "n_dist": ["50미터쯤", "조금만", "5분 정도", "100미터쯤"],
    "n_parcel": ["택배", "주문하신 상품", "교체용 부품", "서류", "새 여권"],
    "n_open": ["아침 9시", "오전 10시", "오전 7시", "오전 11시"],
    "n_close": ["밤 10시", "오후 9시", "저녁 8시", "밤 11시"],
    "n_dish": ["김치찌개", "카레", "미역국", "볶음밥", "된장국"],
    "n_major": ["경영학", "컴퓨터공학", "국어국문학", "화학", "건축학", "사회학"],
    "n_app": ["은행 앱", "학교 홈페이지", "사내 메신저", "지도 앱", "쇼핑몰 앱"],
    "n_class": ["영어", "수학", "피아노", "수영", "코딩", "중국어"],
    "n_depart": ["부산행 열차는 오전 9시 10분에 서울역에서", "첫차는 새벽 5시 30분에 터미널에서",
                 "막차는 밤 11시 40분에 시청역에서", "공항버스는 20분마다 정문 앞에서", "셔틀버스는 오전 8시에 2번 출구 앞에서",
                 "강릉행 버스는 오후 2시에 터미널에서", "통근 버스는 아침 7시에 본사 앞에서"],
    "n_station": ["서울역", "터미널", "정문 앞", "시청역", "2번 출구 앞"],
    "n_meet": ["정문", "역 3번 출구", "카페", "도서관", "회사"],
    "n_file": ["회의록", "견적서", "발표 자료", "계약서", "일정표"],
    "n_origin": ["국내", "베트남", "중국", "독일", "충청도 공장"],
    "n_year": ["1998", "2005", "1987", "2012", "2020"],
    "n_now": ["회의", "통화", "운전", "수업", "점심 식사", "외근"],
    "n_item2": ["이 이어폰", "이 무선 청소기", "이 스마트워치", "이 보조 배터리", "이 블루투스 스피커"],
    "n_hours": ["8", "6", "10", "12", "3"],
    "n_dest": ["공항", "시청", "기차역", "병원", "본사", "터미널"],
    "n_vehicle": ["지하철", "버스", "택시", "차", "자전거"],
    "n_dur": ["20분", "1시간", "30분", "한 시간 반", "40분"],
    "n_day_off": ["내일은", "이번 주에는", "금요일에는", "오늘 오후에는", "방학 동안에는", "다음 주 월요일에는"],
    "n_ingr": ["땅콩", "우유", "돼지고기", "설탕", "밀가루", "계란"],
    "n_snack": ["이 과자", "이 빵", "이 소스", "이 음료", "이 라면"],
    "n_goods": ["이 상품", "할인 상품", "개봉한 제품", "주문 제작 상품", "이 티켓"],
    "n_reason": ["물어본", "확인하려고 물어본", "궁금해서 물어본", "일정 확인하려고 연락한", "시간 있는지 물어본",
                 "혹시나 해서 말한", "지나가다 말한"],
    "n_not_sad": ["졸린", "배고픈", "바쁜", "생각 중인", "좀 조용히 있고 싶은"],
    "n_fac": ["화장실", "엘리베이터", "흡연 구역", "주차장", "수유실", "복사기"],
    "n_avail": ["주차", "카드 결제", "포장", "와이파이", "예약", "반려동물 동반"],
    "n_doc": ["보고서", "과제", "신청서", "영수증", "서류"],
    "n_who_q": ["택배", "다음 버스", "민수", "동생", "지훈", "수리 기사"],
    "n_eating": ["구내식당에서 김치찌개", "분식집에서 김밥", "회사 앞 식당에서 칼국수", "집에서 라면", "편의점 앞에서 샌드위치",
                 "학교 식당에서 돈가스", "분식집에서 라면", "집에서 비빔밥"],
    "weather_day": ["내일", "모레", "주말에는", "이번 주 금요일", "오늘 밤", "내일 아침"],
    "weather_day2": ["내일", "주말", "모레", "이번 주", "오늘 오후"],
    "n_city_from": ["서울", "대구", "전주", "청주"],
    "n_under": ["지하 1층", "지하 2층", "뒤편", "왼쪽"],
    "n_device": ["프린터", "복사기", "세탁기", "리모컨", "커피 머신", "키오스크"],
    "n_room_q": ["회의실", "화장실", "열람실", "식당", "인사팀"],
    "n_go_place": ["회사", "학교", "사무실", "모임"],
    "ack_q": ["몇 시에 봄?", "어디서 만남?", "뭐 먹을까?", "지금 어디임?", "몇 시 기차임?"],
    "ack_casual": ["ㅇㅋ", "ㅇㅇ", "ㅇㅋㅇㅋ", "알겠음", "오키", "ㅇㅇㅇ"],
    "ack_polite": ["넵", "넹", "네넵", "넵넵", "네"],
    "n_casual_info": ["{time}에 {n_meet} 앞에서 봐", "지금 가는 중", "{time}까지 보낼게", "나 지금 {n_place}", "{day} 보자",
                      "이따 전화할게", "{n_meet} 앞에 도착함", "{n_food} 시켜 놓음", "{time} 기차 탐"],
    "n_polite_info": ["확인했습니다", "{time}까지 보내 드릴게요", "지금 출발합니다", "자료 메일로 보냈어요", "{day} 뵐게요",
                      "{n_meet} 앞에서 기다리고 있을게요", "회의실 예약해 두었습니다", "일정표 공유드렸습니다"],
}

EMOJI = {
    "anger": ["😡", "🤬", "😤", "💢"],
    "sadness": ["😢", "😭", "💔", "🥲"],
    "happiness": ["😂", "🤣", "😊", "🥰", "❤️", "👍", "🎉"],
    "neutral": ["📎", "📅", "🚌", "☕", "🏢", "📦"],
}

# ---------------------------------------------------------------- templates: (label, capability, registers, text)
# {slot} a filler from SLOTS, {@group[.kind]} a predicate of PREDS[group] in the sentence's register (kinds: neg,
# negpast, past, ger, adn, fut, stem, gae), {~이다} / {~아니다} the copula, {int} an intensifier; particles are
# written "이/가" and resolved after rendering.

_REGSETS = {
    "all": ("hae", "hae", "haeyo", "haeyo", "da", "ne", "neyo", "hapnida"),
    "talk": ("hae", "haeyo", "da", "ne", "neyo"), "state": ("hae", "haeyo", "da", "hapnida"),
    "casual": ("hae", "da", "ne"), "q": ("hae", "haeyo", "hapnida"), "two": ("hae", "haeyo"), "polite": ("haeyo", "hapnida"),
    "hae": ("hae",), "haeyo": ("haeyo",), "past": ("past_hae", "past_haeyo", "past_da", "past_hapnida"),
}

A, S, H, N = LABELS
TEMPLATES: list[tuple[str, str, str, str]] = [
    (A, "plain", "all", "{ang_cause} {@ang}"),
    (A, "plain", "past", "{ang_cause} {@ang}"),
    (A, "plain", "all", "{ang_agent} 때문에 {@ang}"),
    (A, "plain", "talk", "{ang_open} {@ang}"),
    (A, "plain", "all", "{ang_w_cause} {@ang_w}"),
    (A, "plain", "past", "{ang_w_cause} {@ang_w}"),
    (A, "plain", "all", "{ang_b_cause} {@ang_b}"),
    (A, "plain", "all", "{ang_t_cause} {@ang_t}"),
    (A, "plain", "all", "{ang_thing}이/가 {@ang_thing}"),
    (A, "plain", "all", "{ang_who}한테 {@ang_at}"),
    (A, "plain", "all", "{ang_who} 얼굴만 봐도 {@ang_at}"),
    (A, "plain", "hae", "{ang_who}이/가 {ang_act} {@ang}. {ang_after_hae}"),
    (A, "plain", "haeyo", "{ang_svc} {@ang}. {ang_after_haeyo}"),
    (A, "plain", "all", "{@ang}"),
    (A, "intensifier", "all", "{int} {@ang}"),
    (A, "intensifier", "all", "{ang_cause} {int} {@ang}"),
    (A, "intensifier", "talk", "{ang_open} {int} {@ang}"),
    (A, "intensifier", "casual", "{ang_open} {@ang.gae}"),
    (A, "intensifier", "casual", "{ang_cause} {@ang.gae}"),
    (A, "intensifier", "casual", "{ang_w_cause} {@ang_w.gae}"),
    (A, "intensifier", "all", "{ang_thing}이/가 {int} {@ang_thing}"),
    (A, "intensifier", "all", "{ang_agent} 때문에 {int} {@ang}"),
    (A, "intensifier", "casual", "{@ang} {ang_tail}"),
    (A, "intensifier", "all", "{ang_w_cause} {int} {@ang_w}"),
    (A, "intensifier", "all", "{ang_b_cause} {int} {@ang_b}"),
    (A, "negation", "state", "{@sad_neg.neg}. 그냥 {@ang_at}"),
    (A, "negation", "state", "{@sad_neg.adn} 게 아니라 {@ang_at.adn} 거{~이다}"),
    (A, "negation", "state", "{svc_place}이/가 {@bad}. {@complain_place}"),
    (A, "negation", "state", "{@complain_place}. {svc_place}이/가 {int} {@bad_i}"),
    (A, "negation", "state", "{svc_goods}이/가 {@bad}. {@complain_goods}"),
    (A, "negation", "state", "{@complain_goods}. {svc_goods}이/가 {int} {@bad_i}"),
    (A, "negation", "all", "{ang_who}은/는 잘못해 놓고 사과도 안 {@하다}"),
    (A, "negation", "state", "{ang_who}은/는 {@ang_never}. {int} {@ang}"),
    (A, "question", "hae", "{ang_q_ctx} {ang_q}"),
    (A, "question", "hae", "{ang_q}"),
    (A, "question", "haeyo", "{ang_q_pol_ctx} {ang_q_pol}"),
    (A, "question", "hae", "{ang_who}은/는 왜 맨날 {ang_habit}?"),
    (A, "question", "q", "{ang_who}이/가 어떻게 나한테 이럴 수가 {@있다}?"),
    (A, "question", "q", "{ang_cause} {@ang_at}. 이게 말이 {@되다}?"),
    (A, "slang", "hae", "{ang_slang_ctx} {ang_slang}"),
    (A, "slang", "hae", "{ang_slang} {ang_slang_ctx}"),
    (A, "slang", "casual", "{ang_cause} {@ang} {ang_mark}"),
    (A, "slang", "hae", "{ang_who} 진짜 {ang_slang2}"),
    (A, "slang", "hae", "{ang_slang_ctx} {ang_mark}"),
    (S, "plain", "all", "{sad_loss_cause} {@sad_loss}"),
    (S, "plain", "past", "{sad_loss_cause} {@sad_loss}"),
    (S, "plain", "all", "{sad_fail_cause} {@sad_fail}"),
    (S, "plain", "past", "{sad_fail_cause} {@sad_fail}"),
    (S, "plain", "all", "{sad_mood_cause} {@sad_mood}"),
    (S, "plain", "all", "{sad_waste_cause} {@sad_waste}"),
    (S, "plain", "all", "{sad_hurt_cause} {@sad_hurt}"),
    (S, "plain", "past", "{sad_hurt_cause} {@sad_hurt}"),
    (S, "plain", "all", "{sad_lonely_cause} {@sad_lonely}"),
    (S, "plain", "all", "{miss_obj}이/가 {@miss}"),
    (S, "plain", "all", "{miss_person}이/가 {@miss_p}"),
    (S, "plain", "all", "{sad_think} 생각만 하면 {@sad_loss}"),
    (S, "plain", "hae", "{sad_fail_cause} {@sad_fail}. {sad_after_hae}"),
    (S, "plain", "hae", "{sad_loss_cause} {@sad_loss}. {sad_after_hae}"),
    (S, "plain", "all", "{@sad_plain}"),
    (S, "intensifier", "all", "{int} {@sad_plain}"),
    (S, "intensifier", "all", "{sad_loss_cause} {int} {@sad_loss}"),
    (S, "intensifier", "all", "{sad_fail_cause} {int} {@sad_fail}"),
    (S, "intensifier", "all", "{sad_hurt_cause} {int} {@sad_hurt}"),
    (S, "intensifier", "all", "{sad_lonely_cause} {int} {@sad_lonely}"),
    (S, "intensifier", "all", "{sad_mood_cause} {int} {@sad_mood}"),
    (S, "intensifier", "all", "{sad_waste_cause} {int} {@sad_waste}"),
    (S, "intensifier", "all", "{miss_person}이/가 {int} {@miss_p}"),
    (S, "intensifier", "all", "{miss_obj}이/가 {int} {@miss}"),
    (S, "intensifier", "casual", "{sad_fail_cause} {@sad_fail.gae}"),
    (S, "intensifier", "casual", "{sad_mood_cause} {@sad_mood.gae}"),
    (S, "negation", "state", "{@ang_at.neg}. 그냥 좀 {@sad_plain}"),
    (S, "negation", "state", "{@ang_at.adn} 게 아니라 {@sad_plain.adn} 거{~이다}"),
    (S, "negation", "state", "요즘은 {neg_adv} {@hap_core_neg.neg}"),
    (S, "negation", "state", "{@okay.neg}. 사실 많이 {@sad_plain}"),
    (S, "negation", "state", "안 {@okay}. 사실 {int} {@sad_plain}"),
    (S, "negation", "all", "안 울려고 했는데 {@sad_tears}"),
    (S, "negation", "state", "{sad_absent} 없으니까 아무것도 {@fun_neg.neg}"),
    (S, "question", "hae", "{sad_q_ctx} {sad_q}{sad_q_end}"),
    (S, "question", "hae", "{sad_q}{sad_q_end}"),
    (S, "question", "hae", "{miss_person_q}은/는 잘 지내고 있을까{sad_q_end}"),
    (S, "question", "hae", "{sad_q_open} 왜 이렇게 {@sad_why.stem}지{sad_q_end}"),
    (S, "slang", "hae", "{sad_slang_ctx} {sad_slang}"),
    (S, "slang", "casual", "{sad_loss_cause} {@sad_loss}{sp}{sad_tear}"),
    (S, "slang", "casual", "{sad_fail_cause} {@sad_fail}{sp}{sad_tear}"),
    (S, "slang", "casual", "{miss_person}이/가 {@miss_p}{sp}{sad_tear}"),
    (S, "slang", "hae", "{sad_tear} {sad_q}"),
    (S, "slang", "hae", "{sad_slang_ctx}{sp}{sad_tear}"),
    (H, "plain", "all", "{hap_event_cause} {@hap_event}"),
    (H, "plain", "past", "{hap_event_cause} {@hap_event}"),
    (H, "plain", "all", "{hap_proud_cause} {@hap_proud}"),
    (H, "plain", "casual", "{thanks_cause} {@thanks}"),
    (H, "plain", "hae", "{name}아/야, {thanks_cause} {@thanks}"),
    (H, "plain", "polite", "{grateful_cause} {@grateful}"),
    (H, "plain", "all", "{moved_cause} {@moved}"),
    (H, "plain", "past", "{moved_cause} {@moved_past}"),
    (H, "plain", "all", "{excite_cause} {@excite}"),
    (H, "plain", "all", "{hap_media}이/가 {@hap_fun}"),
    (H, "plain", "all", "{hap_media} {@hap_fun}"),
    (H, "plain", "all", "{hap_thing}이/가 {@hap_like}"),
    (H, "plain", "all", "{hap_food}이/가 {@hap_tasty}"),
    (H, "plain", "all", "{hap_company} {@hap_core}"),
    (H, "plain", "talk", "{hap_open} {@hap_core}"),
    (H, "plain", "past", "{hap_day} {@hap_past}"),
    (H, "plain", "all", "지금 이 순간이 {@hap_moment}"),
    (H, "plain", "hae", "{hap_event_cause} {@hap_event2}. {hap_after_hae}"),
    (H, "plain", "all", "{@hap_felt}"),
    (H, "intensifier", "all", "{int} {@hap_felt}"),
    (H, "intensifier", "all", "{hap_event_cause} {int} {@hap_event2}"),
    (H, "intensifier", "casual", "{thanks_cause} {int} {@thanks}"),
    (H, "intensifier", "all", "{hap_media} {int} {@fun}"),
    (H, "intensifier", "all", "{hap_food} {int} {@tasty}"),
    (H, "intensifier", "all", "{hap_thing}이/가 {int} {@like}"),
    (H, "intensifier", "all", "{hap_company} {int} {@hap_core}"),
    (H, "intensifier", "all", "{excite_cause} {int} {@excite}"),
    (H, "intensifier", "casual", "{hap_event_cause} {@hap_event2.gae}"),
    (H, "intensifier", "casual", "{hap_media} {@fun.gae}"),
    (H, "intensifier", "past", "{hap_day} {int} {@hap_past}"),
    (H, "negation", "state", "{@sad_neg.neg}, 오히려 {@hap_felt}"),
    (H, "negation", "state", "{@ang_at.neg}. 오히려 {@hap_felt}"),
    (H, "negation", "q", "{@sad_neg.ger} 우는 거 {~아니다}. {int} {@hap_tears.ger} 우는 거{~이다}"),
    (H, "negation", "state", "{hap_media}이/가 {@dull.neg}. 오히려 {@hap_good}"),
    (H, "negation", "two", "{hard_ctx} 하나도 안 {@hard.past}. {int} {@hap_past.past}"),
    (H, "negation", "state", "요즘은 {@sad_neg.neg}. {int} {@hap_core}"),
    (H, "negation", "state", "{@sad_neg.adn} 게 아니라 {int} {@hap_felt.adn} 거{~이다}"),
    (H, "question", "hae", "{hap_q_ctx} {hap_q_any}"),
    (H, "question", "hae", "{hap_q}"),
    (H, "question", "hae", "{cute_subj} 어떻게 이렇게 {@cute.stem}지?"),
    (H, "question", "hae", "{taste_subj} 어떻게 이렇게 {@tasty.stem}지?"),
    (H, "question", "hae", "{fun_subj} 어떻게 이렇게 {@fun.stem}지?"),
    (H, "question", "hae", "{hap_media} 왜 이렇게 {@fun.stem}지?"),
    (H, "question", "hae", "{hap_food} 왜 이렇게 {@tasty.stem}지?"),
    (H, "question", "hae", "{hap_q_ctx} 이렇게 {@hap_felt2.fut} 수가 {can_q}"),
    (H, "question", "hae", "{hap_q_ctx} 이보다 더 {@hap_felt2.fut} 수 있을까?"),
    (H, "slang", "hae", "{hap_slang_luck_ctx} {hap_slang_luck}"),
    (H, "slang", "hae", "{hap_slang_fun_ctx} {hap_slang_fun}"),
    (H, "slang", "hae", "{hap_slang_food_ctx} {hap_slang_food}"),
    (H, "slang", "casual", "{hap_event_cause} {@hap_event2}{sp}{hap_laugh}"),
    (H, "slang", "casual", "{hap_media} {@hap_fun}{sp}{hap_laugh}"),
    (H, "slang", "casual", "{thanks_cause} {@thanks}{sp}{hap_laugh}"),
    (N, "neutral", "all", "{n_event}은/는 {day} {time}에 {@n_begin}"),
    (N, "neutral", "all", "{n_event} 장소는 {n_room}{~이다}"),
    (N, "neutral", "all", "{n_place}은/는 {n_landmark} {n_side}에 {@있다}"),
    (N, "neutral", "all", "{n_bus}번 버스는 {n_min}분마다 {@오다}"),
    (N, "neutral", "all", "{day} {n_room}에서 {n_event}이/가 {@n_held}"),
    (N, "neutral", "past", "{n_obj}은/는 {in_place}에 {@put_in}"),
    (N, "neutral", "past", "{n_obj}은/는 {on_place}에 {@put_on}"),
    (N, "neutral", "all", "{n_weight}{~이다}"),
    (N, "neutral", "all", "{day}부터 {n_facility} 운영 시간이 {n_hour}까지로 {@change}"),
    (N, "neutral", "past", "방금 {n_place}에 {@도착하다}"),
    (N, "neutral", "all", "지금 {n_eating} 먹는 중{~이다}"),
    (N, "neutral", "all", "{weather_day} {@weather}"),
    (N, "neutral", "all", "{n_button} 버튼을 누르면 {@result}"),
    (N, "neutral", "all", "{day} {n_window} {n_system} 점검이 {@진행되다}"),
    (N, "neutral", "all", "{name}은/는 {n_work} {@일하다}"),
    (N, "neutral", "all", "{name}은/는 {n_city}에 {@살다}"),
    (N, "neutral", "past", "{name}은/는 작년에 {n_city_from}에서 {n_city}으로/로 이사{@하다}"),
    (N, "neutral", "past", "{n_file}은/는 {n_shared}에 {@올리다}"),
    (N, "neutral", "all", "{n_store}은/는 {dow}마다 {@쉬다}"),
    (N, "neutral", "all", "{n_item} 가격은 {n_price}{~이다}"),
    (N, "neutral", "all", "{n_routine_time} 보통 {n_activity}을/를 {@하다}"),
    (N, "neutral", "all", "{n_org} 사무실은 {n_bldg} {n_floor}층에 {@있다}"),
    (N, "neutral", "all", "{n_subj}은/는 {day} {n_city}으로/로 출장을 {@가다}"),
    (N, "neutral", "all", "{n_mine}은/는 {n_color}{~이다}"),
    (N, "neutral", "all", "{n_exit}번 출구로 나와서 {n_dir} {n_dist} 가면 {n_place}이/가 {@있다}"),
    (N, "neutral", "past", "어제 {n_place}에서 {name}을/를 {@만나다}"),
    (N, "neutral", "all", "오늘 점심 메뉴는 {n_food}{~이다}"),
    (N, "neutral", "all", "{n_parcel}은/는 {day} 도착할 예정{~이다}"),
    (N, "neutral", "all", "{n_store}은/는 {n_open}에 문을 {@열다}"),
    (N, "neutral", "all", "{n_store}은/는 {n_close}에 문을 {@닫다}"),
    (N, "neutral", "state", "{@cook}"),
    (N, "neutral", "all", "주차장은 건물 {n_under}에 {@있다}"),
    (N, "neutral", "past", "{name}은/는 대학에서 {n_major}을/를 {@전공하다}"),
    (N, "neutral", "all", "{n_app} 업데이트는 {day} 새벽에 {@진행되다}"),
    (N, "neutral", "all", "{dow}에는 {n_class} 수업이 {@있다}"),
    (N, "neutral", "all", "{n_depart} {@출발하다}"),
    (N, "neutral", "two", "{day} {time}에 {n_meet} 앞에서 {@see}"),
    (N, "neutral", "past", "{n_file} 파일은 메일로 {@보내다}"),
    (N, "neutral", "all", "이 제품은 {n_origin}에서 {@made}"),
    (N, "neutral", "past", "이 건물은 {n_year}년에 {@built}"),
    (N, "neutral", "all", "{name}은/는 지금 {n_now} 중{~이다}"),
    (N, "neutral", "all", "{n_item2} 배터리는 한 번 충전하면 {n_hours}시간 {@가다}"),
    (N, "neutral", "all", "{n_dest}까지는 {n_vehicle}으로/로 {n_dur} 정도 {@걸리다}"),
    (N, "neutral", "all", "{n_material} 자료는 {n_shared}에서 받을 수 {@있다}"),
    (N, "neutral", "all", "{name}은/는 {n_class} 학원에 {@다니다}"),
    (N, "neutral", "past", "오늘 아침에 {@chore}"),
    (N, "negation", "q", "{@ang_at.adn} 거 {~아니다}. 그냥 {n_reason} 거{~이다}"),
    (N, "negation", "all", "{n_day_off} {n_event}이/가 {@없다}"),
    (N, "negation", "all", "{n_store}은/는 {dow}에 문을 {@열다.neg}"),
    (N, "negation", "all", "{n_bus}번 버스는 이 정류장에 {@서다.neg}"),
    (N, "negation", "all", "{n_parcel}이/가 아직 {@도착하다.negpast}"),
    (N, "negation", "all", "{n_snack}에는 {n_ingr}이/가 {@들어가다.neg}"),
    (N, "negation", "all", "{n_subj}은/는 오늘 {n_go_place}에 안 {@오다}"),
    (N, "negation", "all", "{n_goods}은/는 환불이 {@되다.neg}"),
    (N, "negation", "state", "{@sad_neg.adn} 게 아니라 그냥 {n_not_sad} 거{~이다}"),
    (N, "negation", "all", "{weather_day} 비가 {@오다.neg}"),
    (N, "negation", "all", "이 {n_product}은/는 방수가 {@되다.neg}"),
    (N, "question", "q", "{n_event}은/는 몇 시에 {@n_start_end}?"),
    (N, "question", "q", "{n_place}은/는 어디에 {@있다}?"),
    (N, "question", "q", "{n_item} 얼마{~이다}?"),
    (N, "question", "q", "{n_dest}까지 어떻게 {@가다}?"),
    (N, "question", "q", "{n_place}에서 {n_dest}까지 얼마나 {@걸리다}?"),
    (N, "question", "q", "이 {n_device} 어떻게 {@쓰다}?"),
    (N, "question", "q", "{day} {n_event} {@있다}?"),
    (N, "question", "q", "{n_store} 몇 시까지 {@하다}?"),
    (N, "question", "q", "{n_bus}번 버스 {n_station}에 {@서다}?"),
    (N, "question", "q", "{n_who_q}은/는 언제 {@오다}?"),
    (N, "question", "q", "여기 {n_fac} {@있다}?"),
    (N, "question", "q", "여기 {n_avail} {@되다}?"),
    (N, "question", "q", "{n_room_q}은/는 몇 층{~이다}?"),
    (N, "question", "q", "혹시 {n_obj} 어디 {@두다.past}?"),
    (N, "question", "q", "{weather_day2} 날씨 {@어떻다}?"),
    (N, "question", "q", "{n_doc} 언제까지 {@내다}?"),
    (N, "question", "q", "{n_event} 장소가 어디{~이다}?"),
    (N, "question", "q", "{name}은/는 지금 어디에 {@있다}?"),
    (N, "slang", "hae", "{ack_casual} {n_casual_info}"),
    (N, "slang", "hae", "{ack_polite} {n_polite_info}"),
    (N, "slang", "hae", "{ack_casual} {ack_q}"),
    (N, "slang", "hae", "{ack_polite} {day} {time}에 뵙겠습니다"),
]
# fmt: on
_SHARES = {  # of n_per_label; what is left is filled with noisy copies
    A: {"plain": 0.27, "intensifier": 0.15, "negation": 0.10, "question": 0.10, "slang": 0.10, "emoji": 0.13},
    N: {"neutral": 0.45, "negation": 0.12, "question": 0.15, "slang": 0.06, "emoji": 0.07},
}
_SHARES[S] = _SHARES[H] = _SHARES[A]
_CAP = 0.03  # most rows one template may give, as a share of n_per_label (emoji and noisy copies count apart)
_EMOJI_BASES = ("plain", "intensifier", "question", "slang", "neutral")

# ---------------------------------------------------------------- rendering

_TOKEN = re.compile(r"\{([^{}]+)\}")
_PAST = {r: "past_" + r for r in ("hae", "haeyo", "da", "hapnida")} | {"ne": "past_hae", "neyo": "past_haeyo"}


def _pred(token: str, reg: str, rng: random.Random) -> str:
    group, _, kind = token.partition(".")
    if kind in ("past", "negpast"):
        reg, kind = _PAST.get(reg, reg), ("neg" if kind == "negpast" else "")
    ok = [p for p in PREDS[group] if not (p.casual and reg not in _CASUAL) and not (p.cop and kind in ("neg", "fut"))]
    if kind == "gae":
        ok = [p for p in ok if p.gae]
    if not ok:
        raise ValueError(f"no predicate of {group!r} fits {reg}/{kind}")
    p = rng.choice(ok)
    return "개" + p.form(reg) if kind == "gae" else p.form(reg, kind)


def _fill(token: str, reg: str, rng: random.Random) -> str:
    if token.startswith("@"):
        return _pred(token[1:], reg, rng)
    if token == "~이다":
        return _COP[reg]
    if token == "~아니다":
        return _NOT[reg]
    if token == "int":
        return rng.choice(INT_FORMAL if reg in _FORMAL else INT)
    return rng.choice(SLOTS[token])


def render(template: tuple[str, str, str, str], rng: random.Random) -> str:
    text, reg = template[3], rng.choice(_REGSETS[template[2]])
    while "{" in text:
        text = _TOKEN.sub(lambda m: _fill(m.group(1), reg, rng), text)
    text = _particles(text).replace("거입니다", "겁니다")
    text = re.sub(r"니다\?", "니까?", text)
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------- noisy copies

# fmt: off
_TYPOS = [("했", "햇"), ("좋아", "조아"), ("좋다", "조타"), ("있어", "이써"), ("뭐야", "머야"), ("너무", "넘"),
          ("너무", "너무너무"), ("보고 싶", "보고십"), ("싶어", "시퍼"), ("됐", "됬"), ("괜찮아", "괜차나"), ("재밌", "재밋"),
          ("맛있어", "마시써"), ("거예요", "거에요"), ("같아", "가타"), ("없어", "업서"), ("싫어", "시러"), ("많이", "마니"),
          ("고마워", "고마웡"), ("해요", "해여"), ("어떻게", "어떠케"), ("진짜", "진쨔")]
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
    for op in sorted(rng.sample(ops, min(len(ops), rng.choice((1, 1, 2)))), key=("typo", "space", "marks").index):
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


def _label_rows(label: str, n_per_label: int, rng: random.Random, seen: set[str]) -> list[tuple[str, str, str, str]]:
    mine = [(f"{label}/{t[1]}/{i}", t) for i, t in enumerate(TEMPLATES) if t[0] == label]
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
        return render(template, rng) + rng.choice(("", " ")) + e, tid + "+emoji"

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
            text, row_tid = with_emoji(tid, template) if capability == "emoji" else (render(template, rng), tid)
            if add(text, capability or template[1], row_tid):
                k -= 1
            else:
                fails[tid] = fails.get(tid, 0) + 1

    for capability, share in _SHARES[label].items():
        fill(capability, round(share * n_per_label))
    fill(None, round(sum(_SHARES[label].values()) * n_per_label) - len(out))  # top up a capability short of texts
    base, tries = list(out), 0
    while len(out) < n_per_label and tries < 50 * n_per_label:
        tries += 1
        text, _, _, tid = rng.choice(base)
        add(_noisy(text, label, rng), "noisy", tid.split("+")[0] + "+noisy")
    return out


def _generate(n_per_label: int = 1500, seed: int = 0) -> list[tuple[str, str, str, str]]:
    """(text, label, capability, template id) rows; `generate` without the template id."""
    rng, seen = random.Random(seed), set()
    return [row for label in LABELS for row in _label_rows(label, n_per_label, rng, seen)]


def generate(n_per_label: int = 1500, seed: int = 0) -> list[tuple[str, str, str]]:
    """About n_per_label (text, label, capability) rows per label, unique texts, the same for the same seed."""
    return [r[:3] for r in _generate(n_per_label, seed)]


def write(path: str, n_per_label: int = 1500, seed: int = 0, exclude: set[str] | None = None) -> int:
    """Write generate(n_per_label, seed) as Parquet (text, label, source="synthetic", capability), leaving out
    texts in `exclude` (compared in their canonical form); returns the number of rows written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    drop = set(canonical_list(sorted(exclude))) if exclude else set()
    rows = [r for r in generate(n_per_label, seed) if r[0] not in drop]
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
