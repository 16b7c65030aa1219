"""Synthetic, labelled Korean sentences for capabilities the training data lacks (CheckList-style augmentation).

The training mix (native KOTE comments and machine-translated GoEmotions) has few plain, explicit emotion
sentences, so the model misreads "너무 화가 난다", "열받아", negations ("슬프지 않아, 오히려 기뻐"), rhetorical
questions, unspaced text and casual typos. This module writes such sentences from templates and a small
lexicon: `generate(n_per_label, seed)` returns about n_per_label (text, label, capability) rows per label
(anger, sadness, happiness, neutral), deterministic for a seed, with unique texts. Capabilities:

- plain: an explicit emotion predicate with a cause, subject or opener, in several registers
  (합니다 / 해요 / 해 / -다 / -네 / -네요, present and past), including the less frequent ones (뿌듯하다,
  설레다, 흐뭇하다, 벅차다, 후련하다, 홀가분하다, 반갑다, 들뜨다, 만족스럽다; 분하다, 억울하다, 치가 떨리다,
  "손이 떨릴 만큼 화가 나");
- neutral: facts, schedules, directions, descriptions, everyday reports, product facts, announcements,
  weather reports and times with numbers in words ("낮 기온은 이십오 도까지 올라요", "지금 세 시 반이야"),
  casual done-and-plan reports ("짐 다 쌌어. 이제 출발할게");
- intensifier: 너무 / 진짜 / 정말 / 완전 / 엄청 / 겁나 / 넘 / 개- + emotion;
- negation: a negated feeling followed by the real one, in every direction and form (안 X, X지 않아/않았어,
  전혀/하나도/별로 + negation, X 건 아니고 / X 거 아니야): "안 슬퍼, 그냥 열받아" -> anger, "생일인데 하나도
  안 기뻐. ... 외로워" -> sadness, "화 안 났어, 오히려 고마워" -> happiness, "보고 전혀 실망 안 했어. 재밌었어"
  -> happiness; "오히려" before every feeling, so it is no happiness cue; 못 complaints ("절대 용서 못 해",
  "더는 못 참겠어" -> anger); negated facts and plans (안 와요, 없어요, 안 해도 돼요, "오늘이 아니고 내일이에요",
  "화난 거 아니야, 그냥 물어본 거야" -> neutral); "별로다 / 안 좋다" complaints (anger); and, in the third
  version (`generate(..., version=3)`; templates_neg, lexicon_neg), every form of a taxonomy: 안 / -지 않다 about what someone does with the
  feeling stated apart ("끝까지 사과를 안 해. 진짜 열받아"); 못 / -지 못하다 / -ㄹ 수(가) 없다 ("더는 참을 수가
  없어" -> anger, "도저히 잊지 못하겠어" -> sadness, "믿을 수 없을 만큼 기뻐" -> happiness, "지금 회의 중이라 전화를
  못 받아요" -> neutral); 없다 compounds (재미없다, 맛없다, 어이없다, 양심이 없다 -> anger as complaints; "이제
  아무 걱정이 없어. 후련해" -> happiness; "점검은 문제없이 끝났습니다" -> neutral); the copula ("이건 사과가 아니라
  변명이야", "빈말이 아니라 진짜 재밌어"); 전혀 / 하나도 / 별로 / 결코 / 조금도 / 절대; litotes ("처음 해 본 등산은
  나쁘지 않았어. 오히려 좋았어", "화가 나지 않을 수가 없어"); prohibitions ("울지 마. 나도 너무 슬퍼", "화내지 말라고?",
  "도서관에서는 뛰어다니지 마세요"); negated questions ("이런데 화가 안 나?", "이 영화 아직 안 봤어? 완전 재밌어");
  and neutral negated facts that name a feeling but report none of the writer's (genres: "이 곡은 슬픈 노래가
  아니고 잔잔한 연주곡이에요", scenes, emoji sets, course titles: "행복 특강은 오늘이 아니고 내일이에요", someone
  else's state: "민수는 화난 게 아니라 원래 말투가 그런 거예요", "우는 게 아니라 양파를 썰어서 눈물이 나는 거예요",
  quiz answers, surveys), so that the feeling word alone never decides the label;
- question: information questions (neutral; formal and casual 반말/해요체 logistics: 누구한테, 어디로, 몇 시,
  뭐 먹을래, 언제 와?) and rhetorical ones (emotion labels: 몇 번을 말해야..., 이게 최선이야?, 왜 맨날
  나한테만...?, 왜 나만..., 언제쯤 괜찮아질까);
- slang: internet forms (킹받네, ㅡㅡ, ㅠㅠ, ㅋㅋ, 꿀잼, ㅇㅋ, 넵; ㅇㅋ / 넵 + a plain plan is neutral);
- emoji: label-consistent emoji appended to a sentence or alone;
- noisy: copies of other rows, drawn evenly over the capabilities (and now and then a short row), with
  spaces removed, casual spellings (햇, 됬어, 되요, -ㄹ께, 몰겠, 어케, 넘, 진쨔, 걍, 안아, ...) or repeated marks.

Shares per label are in _SHARES (version 3: _SHARES_V3, negation a quarter of every label; `VERSIONS`); a template is never drawn more than _CAP of n_per_label times, so no frame
dominates. Predicates are conjugated by a small helper (Pred) from their dictionary and 해 forms, and particles
(이/가, 은/는, 이에요/예요, ...) are chosen after the word they follow. Every sentence was written from general
knowledge of Korean, without any data set. The first version was written without seeing either behavioural
suite; the second (richer negation, casual questions, more predicates, noisy copies of every capability) after
being shown the first's failures on the dev suite (evaluate/behaviour_dev.tsv) and told the names of the
three weakest capabilities on the held-out evaluate/behaviour.tsv, never its sentences; the third (the negation
forms above, a quarter of every label) was written without seeing either behavioural suite. Callers remove near
copies of suite items (evaluate.suite.near_duplicates).
For n_per_label=1500 about 6,000 rows; `write` stores them as Parquet (text, label, source, capability).
`written()` returns the hand-written sentences of written.tsv (natural sentences with negation, by writers blind
to both suites), which the anchored round learns next to the generators' rows.
"""

# korean: Hangul, particles, registers, Pred; lexicon: PREDS, SLOTS, EMOJI (with lexicon_neg's groups and slots);
# templates: TEMPLATES, _SHARES, _CAP, VERSIONS (3 adds templates_neg's); generation: render, noisy copies, generate, write.
from .generation import _generate as _generate
from .generation import _lge as _lge
from .generation import generate, render, write
from .korean import REGS as REGS
from .korean import Pred as Pred
from .korean import _n as _n
from .korean import _particles as _particles
from .korean import _v as _v
from .lexicon import EMOJI as EMOJI
from .lexicon import PREDS as PREDS
from .lexicon import _sino as _sino
from .written import written

__all__ = [
    "generate",
    "render",
    "write",
    "written",
]  # the `X as X` names above are re-exported for tests/train/test_synthetic.py
