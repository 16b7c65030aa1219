"""A comment longer than the LLM's context is cut to fit (and counted), never fails the run."""
from transformers import AutoTokenizer

from emopulse.label.prompt import PromptBuilder, PromptSpec


def test_overlong_comments_are_truncated_to_fit_the_context(tiny_model):
    tok = AutoTokenizer.from_pretrained(tiny_model)
    builder = PromptBuilder(PromptSpec(), tok, max_tokens=400)
    short = builder("좋은 영화였어요")
    assert builder.truncated == 0 and short.endswith("댓글: 좋은 영화였어요\n감정:")
    long = "정말 너무 화가 나서 할 말이 없다 " * 300
    prompt = builder(long)
    assert builder.truncated == 1
    assert len(tok.encode(prompt, add_special_tokens=False)) <= 400
    assert prompt.startswith(PromptSpec().instruction) and prompt.endswith("\n감정:")   # the instruction is intact
