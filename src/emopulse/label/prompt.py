"""The labelling prompt: a Korean instruction that defines the four emotions, few-shot examples,
and the comment last, so every prompt shares one long prefix (vLLM's prefix cache reuses it).

A prompt file (--prompt) is JSON: {"instruction": "...", "examples": [{"text": ..., "label": ...}]}.
The comment is inserted as data inside the prompt text; nothing from the data is ever executed. A
control token typed inside a comment (`<start_of_turn>`, `<|im_end|>`, `</s>`, `[INST]`, ...) is broken
with a U+2060 WORD JOINER after its first character (`escape_special`), so the tokenizer reads it as
text and a comment cannot close its own turn and forge another (issue 22).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from ..core.errors import InputError
from ..core.schema import LABELS

INSTRUCTION = (
    "다음 한국어 댓글에 담긴 감정을 아래 네 가지 중 하나로 분류하세요.\n"
    "- anger: 분노, 짜증, 불만, 혐오, 비난\n"
    "- sadness: 슬픔, 실망, 안타까움, 절망, 힘듦\n"
    "- happiness: 기쁨, 행복, 즐거움, 감동, 만족, 응원\n"
    "- neutral: 뚜렷한 감정이 없는 사실 전달, 질문, 정보\n"
    "답은 anger, sadness, happiness, neutral 중 한 단어로만 하세요."
)

EXAMPLES = [
    {"text": "이 영화 진짜 최고다 ㅋㅋ 또 보고 싶어요", "label": "happiness"},
    {"text": "이런 걸 뉴스라고 쓰냐? 기자 수준 진짜 한심하다", "label": "anger"},
    {"text": "끝까지 기다렸는데 결국 이렇게 끝나다니 너무 슬프네요", "label": "sadness"},
    {"text": "내일 오후 3시에 2화가 공개된다고 합니다", "label": "neutral"},
]


# control tokens of the common chat formats, for a prompt rendered without the model's tokenizer
_GENERIC = re.compile(
    r"<\|[^<>|\s]{1,40}\|>|</?(?:s|bos|eos|pad|unk|start_of_turn|end_of_turn|think)>|"
    r"\[/?INST\]|<<SYS>>|<</SYS>>|<\s*(?:start_of_turn|end_of_turn)\s*>"
)
JOINER = "\u2060"


def special_tokens(tokenizer) -> list[str]:
    """The tokenizer's special and added control token strings, longest first."""
    if tokenizer is None:
        return []
    found = set(getattr(tokenizer, "all_special_tokens", []) or [])
    for tok in (getattr(tokenizer, "added_tokens_decoder", None) or {}).values():
        if getattr(tok, "special", False) or str(getattr(tok, "content", "")).startswith(("<", "[")):
            found.add(str(tok.content))
    return sorted((t for t in found if len(t) > 1), key=len, reverse=True)


def escape_special(comment: str, specials: list[str] = ()) -> str:
    """`comment` with every control token in it broken by a word joiner after its first character:
    the model still reads the characters, the tokenizer no longer finds the token."""
    for tok in specials:
        if tok in comment:
            comment = comment.replace(tok, tok[0] + JOINER + tok[1:])
    return _GENERIC.sub(lambda m: m.group(0)[0] + JOINER + m.group(0)[1:], comment)


@dataclass
class PromptSpec:
    instruction: str = INSTRUCTION
    examples: list[dict] = field(default_factory=lambda: [dict(e) for e in EXAMPLES])
    labels: list[str] = field(default_factory=lambda: list(LABELS))

    @classmethod
    def from_file(cls, path: str | None, labels=LABELS) -> PromptSpec:
        if not path:
            return cls(labels=list(labels))
        try:
            raw = json.load(open(path, encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not a readable JSON prompt file ({exc})") from exc
        spec = cls(
            instruction=raw.get("instruction", INSTRUCTION),
            examples=raw.get("examples", EXAMPLES),
            labels=list(raw.get("labels", labels)),
        )
        bad = [e for e in spec.examples if e.get("label") not in spec.labels or not e.get("text")]
        if bad:
            raise InputError(f"{path}: examples need a text and one of {spec.labels}: {bad[0]}")
        return spec

    def user_message(self, comment: str) -> str:
        shots = "\n\n".join(f"댓글: {e['text']}\n감정: {e['label']}" for e in self.examples)
        return f"{self.instruction}\n\n{shots}\n\n댓글: {comment}\n감정:"


class PromptBuilder:
    """Renders prompts with the model's chat template when it has one, as plain completion text
    otherwise. `hash` identifies the exact rendering (template and spec) and goes with every row."""

    def __init__(self, spec: PromptSpec, tokenizer=None, max_tokens: int | None = None):
        self.spec = spec
        # prompts longer than the model's context are cut in the comment (never in the instruction)
        # so one long comment cannot fail a run; `truncated` counts them
        self.counter, self.max_tokens, self.truncated = tokenizer, max_tokens, 0
        self.specials = special_tokens(tokenizer)
        template = getattr(tokenizer, "chat_template", None) if tokenizer is not None else None
        self.tokenizer = tokenizer if template else None
        self.mode = "chat" if template else "completion"
        payload = json.dumps(
            {
                "instruction": spec.instruction,
                "examples": spec.examples,
                "labels": spec.labels,
                "mode": self.mode,
                "template": template or "",
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        self.hash = hashlib.sha256(payload.encode()).hexdigest()[:16]

    def __call__(self, comment: str) -> str:
        prompt = self.render(comment)
        if self.max_tokens and self.counter is not None and len(comment) > 16:
            n = self._count(prompt)
            if n > self.max_tokens:
                self.truncated += 1
                keep = len(comment)
                while n > self.max_tokens and keep > 16:
                    keep = max(16, int(keep * self.max_tokens / n * 0.95))
                    prompt = self.render(comment[:keep])
                    n = self._count(prompt)
        return prompt

    def _count(self, prompt: str) -> int:
        return len(self.counter.encode(prompt, add_special_tokens=False))

    def render(self, comment: str) -> str:
        message = self.spec.user_message(escape_special(comment, self.specials))
        if self.tokenizer is None:
            return message
        return self.tokenizer.apply_chat_template(
            [{"role": "user", "content": message}], tokenize=False, add_generation_prompt=True
        )


def check_answer(text: str | None, finish_reason: str | None, labels) -> str | None:
    """The label, or None when the output is not exactly one label that ended normally."""
    if text is None or finish_reason != "stop":
        return None
    answer = text.strip()
    return answer if answer in labels else None
