"""`label --model x.gguf`: a GGUF file is dequantized once into an HF directory that the backends load."""

import os

import numpy as np
import pyarrow.parquet as pq
import pytest

from emopulse.core.errors import BundleError
from emopulse.core.schema import LABELS
from emopulse.label.args import LabelArgs
from emopulse.label.run import run

pytest.importorskip("gguf")
pytest.importorskip("accelerate")


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory):
    from emopulse.testing.gguf import build_tiny_qwen2, write_gguf

    tmp = tmp_path_factory.mktemp("tiny-qwen2")
    hf = build_tiny_qwen2(str(tmp / "hf"))
    return hf, write_gguf(hf, str(tmp / "tiny-qwen2-q8_0.gguf"))


def test_gguf_is_dequantized_once_with_its_tokenizer_and_template(tiny_gguf, tmp_path, monkeypatch):
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    from emopulse.label import gguf as g

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    hf, path = tiny_gguf
    out = g.gguf_to_hf(path, log=lambda m: None)
    assert out.startswith(str(tmp_path / "cache")) and os.path.isfile(os.path.join(out, "model.safetensors"))
    assert g.gguf_to_hf(path, log=pytest.fail) == out  # cached: no second conversion
    a, b = load_file(os.path.join(hf, "model.safetensors")), load_file(os.path.join(out, "model.safetensors"))
    assert set(a) == set(b)
    for name in a:  # Q8_0 blocks, then bfloat16: close to the original weights, not equal
        x, y = a[name].float(), b[name].float()
        assert torch.allclose(x, y, atol=0.02 * float(x.abs().max()) + 1e-3), name
    t0, t1 = AutoTokenizer.from_pretrained(hf), AutoTokenizer.from_pretrained(out)
    assert t1.get_vocab() == t0.get_vocab() and t1.eos_token == "<|im_end|>" and "<|im_start|>" in t1.chat_template
    text = "이 영화 진짜 최고다 ㅋㅋ happiness"
    assert t1.decode(t1.encode(text, add_special_tokens=False)) == text


def test_label_runs_on_a_gguf_file(tiny_gguf, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    from .test_label import comments

    inp = comments(tmp_path, n=12)
    args = dict(inputs=[inp], model=tiny_gguf[1], backend="transformers", id_col="id", progress=False)
    s = run(LabelArgs(output=str(tmp_path / "o"), **args))["this_invocation"]
    t = pq.read_table(tmp_path / "o").to_pandas()
    ok = t[t["status"] == "ok"]
    assert s["prompt_mode"] == "chat" and s["invalid"] == 0 and len(ok) == 10 and set(ok["label"]) <= set(LABELS)
    np.testing.assert_allclose(ok[[f"p_{lab}" for lab in LABELS]].sum(axis=1), 1.0, atol=1e-5)
    # the same weights as an HF directory label the same
    from emopulse.label.gguf import gguf_to_hf

    run(LabelArgs(output=str(tmp_path / "h"), **(args | {"model": gguf_to_hf(tiny_gguf[1])})))
    assert (
        pq.read_table(tmp_path / "h").column("label").to_pylist()
        == pq.read_table(tmp_path / "o").column("label").to_pylist()
    )


def test_a_gguf_without_the_packages_says_what_to_install(tiny_gguf, monkeypatch):
    import builtins

    from emopulse.label.gguf import gguf_to_hf

    real = builtins.__import__

    def no_gguf(name, *a, **k):
        if name == "gguf":
            raise ImportError("no gguf", name="gguf")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_gguf)
    with pytest.raises(BundleError, match="make install-llm"):
        gguf_to_hf(tiny_gguf[1])
