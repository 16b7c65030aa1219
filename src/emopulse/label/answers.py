"""What every LLM backend returns, and how its confidence is defined.

The answer is constrained to one of the labels and decoded greedily (deterministic). Any token
that keeps the text a prefix of a label is allowed, so a model may spell a label in one token
or several. The probability of a label is the model's probability of *starting* that answer:
the first step's probability mass on the tokens that are prefixes of the label, renormalized
over the labels (labels are ASCII words with distinct first letters, so the sets do not overlap).
Greedy decoding follows the single largest of those tokens, so the label and the most probable
label agree except in near-ties.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Answer:
    text: str | None
    finish_reason: str | None
    token_logprobs: dict[int, float] | None  # first answer step: token id -> raw logprob
    prompt_tokens: int = 0
    output_tokens: int = 0
    error: str | None = None


def continuation_tokens(vocab: dict[str, int], labels, state: str = "") -> list[int]:
    """Token ids whose text continues `state` towards some label (ASCII labels: a vocabulary
    entry's text is its own spelling in byte-level and SentencePiece vocabularies alike)."""
    out = []
    for lab in labels:
        if lab.startswith(state):
            out += [
                vocab[lab[len(state) : j]] for j in range(len(state) + 1, len(lab) + 1) if lab[len(state) : j] in vocab
            ]
    return sorted(set(out))


def prefix_tokens(tokenizer, labels) -> dict[str, list[int]]:
    vocab = tokenizer.get_vocab()
    return {lab: continuation_tokens(vocab, [lab]) for lab in labels}


def max_answer_tokens(labels) -> int:
    return max(len(lab.encode()) for lab in labels) + 1  # one token per byte at worst, then EOS


def probabilities(token_logprobs: dict[int, float] | None, prefixes: dict[str, list[int]], labels):
    if not token_logprobs:
        return None
    mass = []
    for lab in labels:
        lps = [token_logprobs[t] for t in prefixes[lab] if t in token_logprobs]
        top = max(lps, default=-math.inf)
        mass.append(-math.inf if top == -math.inf else top + math.log(sum(math.exp(v - top) for v in lps)))
    top = max(mass)
    if top == -math.inf:
        return None
    exps = [math.exp(m - top) for m in mass]
    return {lab: e / sum(exps) for lab, e in zip(labels, exps)}
