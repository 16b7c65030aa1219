"""average_checkpoints and uniform_soup: a weight-averaged checkpoint loads, its tensors are the weighted mean, and
checkpoints that cannot be averaged are refused."""

import json
import os

import pytest
import torch
from safetensors.torch import load_file, save_file

from emopulse.core.errors import EmopulseError
from emopulse.core.predictor import predict_probs
from emopulse.train.soup import average_checkpoints, uniform_soup

from ..tiny import build_tiny_model


def test_soup_is_the_weighted_mean_and_serves(tmp_path):
    a = build_tiny_model(str(tmp_path / "a"), seed=0)
    b = build_tiny_model(str(tmp_path / "b"), seed=1)
    out = average_checkpoints(a, b, str(tmp_path / "soup"), weight=0.25)
    sa, sb, so = (load_file(os.path.join(d, "model.safetensors")) for d in (a, b, out))
    for k in so:
        if so[k].is_floating_point():
            torch.testing.assert_close(so[k], 0.75 * sa[k] + 0.25 * sb[k])
    probs, labels = predict_probs(out, ["너무 화가 난다", "오늘 날씨 맑음"], 64)
    assert probs.shape == (2, 4) and len(labels) == 4
    assert json.load(open(os.path.join(out, "soup.json")))["weight"] == 0.25
    # weight 0 is `a` itself
    same = average_checkpoints(a, b, str(tmp_path / "same"), weight=0.0)
    torch.testing.assert_close(predict_probs(same, ["좋아요"], 64)[0], predict_probs(a, ["좋아요"], 64)[0])


def test_soup_refuses_other_labels_shapes_and_weights(tmp_path):
    a = build_tiny_model(str(tmp_path / "a"))
    b = build_tiny_model(str(tmp_path / "b"), seed=1)
    with pytest.raises(EmopulseError, match=r"\[0, 1\]"):
        average_checkpoints(a, b, str(tmp_path / "o1"), weight=1.5)
    w = load_file(os.path.join(b, "model.safetensors"))
    k = next(k for k in w if w[k].dim() == 2)
    w[k] = w[k][:, :-1].contiguous()
    save_file(w, os.path.join(b, "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(EmopulseError, match="different architectures"):
        average_checkpoints(a, b, str(tmp_path / "o2"))
    cfg = json.load(open(os.path.join(b, "config.json")))
    cfg["id2label"] = {"0": "x", "1": "y", "2": "z", "3": "w"}
    json.dump(cfg, open(os.path.join(b, "config.json"), "w"))
    with pytest.raises(EmopulseError, match="different labels"):
        average_checkpoints(a, b, str(tmp_path / "o3"))


def test_uniform_soup_is_the_mean_and_a_two_way_one_is_bit_identical_to_average_checkpoints(tmp_path):
    a, b, c = (build_tiny_model(str(tmp_path / n), seed=i) for i, n in enumerate("abc"))
    out = uniform_soup([a, b, c], str(tmp_path / "three"))
    sa, sb, sc, so = (load_file(os.path.join(d, "model.safetensors")) for d in (a, b, c, out))
    for k in so:
        if so[k].is_floating_point():
            torch.testing.assert_close(so[k], (sa[k] + sb[k] + sc[k]) / 3)
        else:
            assert torch.equal(so[k], sa[k])
    assert predict_probs(out, ["너무 화가 난다"], 64)[0].shape == (1, 4)
    assert len(json.load(open(os.path.join(out, "soup.json")))["checkpoints"]) == 3
    two = load_file(os.path.join(uniform_soup([a, b], str(tmp_path / "two")), "model.safetensors"))
    half = load_file(os.path.join(average_checkpoints(a, b, str(tmp_path / "half")), "model.safetensors"))
    assert all(torch.equal(two[k], half[k]) for k in half)  # make model's older soups rebuild bit for bit
    with pytest.raises(EmopulseError, match="at least 2"):
        uniform_soup([a], str(tmp_path / "one"))
