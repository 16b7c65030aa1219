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
  "화난 거 아니야, 그냥 물어본 거야" -> neutral); "별로다 / 안 좋다" complaints (anger);
- question: information questions (neutral; formal and casual 반말/해요체 logistics: 누구한테, 어디로, 몇 시,
  뭐 먹을래, 언제 와?) and rhetorical ones (emotion labels: 몇 번을 말해야..., 이게 최선이야?, 왜 맨날
  나한테만...?, 왜 나만..., 언제쯤 괜찮아질까);
- slang: internet forms (킹받네, ㅡㅡ, ㅠㅠ, ㅋㅋ, 꿀잼, ㅇㅋ, 넵; ㅇㅋ / 넵 + a plain plan is neutral);
- emoji: label-consistent emoji appended to a sentence or alone;
- noisy: copies of other rows, drawn evenly over the capabilities (and now and then a short row), with
  spaces removed, casual spellings (햇, 됬어, 되요, -ㄹ께, 몰겠, 어케, 넘, 진쨔, 걍, 안아, ...) or repeated marks.

Shares per label are in _SHARES; a template is never drawn more than _CAP of n_per_label times, so no frame
dominates. Predicates are conjugated by a small helper (Pred) from their dictionary and 해 forms, and particles
(이/가, 은/는, 이에요/예요, ...) are chosen after the word they follow. Every sentence was written from general
knowledge of Korean, without any data set. The first version was written without seeing either behavioural
suite; the second (richer negation, casual questions, more predicates, noisy copies of every capability) after
being shown the first's failures on the dev suite (evaluate/behaviour_dev.tsv) and told the names of the
three weakest capabilities on the held-out evaluate/behaviour.tsv, never its sentences. Callers remove near copies of suite items (evaluate.suite.near_duplicates).
For n_per_label=1500 about 6,000 rows; `write` stores them as Parquet (text, label, source, capability).
"""

# korean: Hangul, particles, registers, Pred; lexicon: PREDS, SLOTS, EMOJI; templates: TEMPLATES, _SHARES, _CAP;
# generation: render, noisy copies, generate, write.
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

__all__ = ["generate", "render", "write"]  # the `X as X` names above are re-exported for tests/train/test_synthetic.py
