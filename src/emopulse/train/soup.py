"""Weight averaging of fine-tuned checkpoints that share one initialisation (a "model soup",
Wortsman et al. 2022, ICML): one model's serving cost, often better than either ingredient.

The recipe (`scripts/quality.py`) averages the fine-tuned encoder with its further-transfer
descendant: on the 500 native dev rows the average beat both alone (encoder macro-F1 0.7063 vs
0.7036 and 0.6848) and gave the lowest log-loss with the n-gram member (0.556 vs 0.570). Its
capability round can also average the same round trained with several seeds (`uniform_soup`).
"""

from __future__ import annotations

import json
import os
import shutil

from ..core.errors import EmopulseError

WEIGHTS = "model.safetensors"


def average_checkpoints(a: str, b: str, output: str, weight: float = 0.5) -> str:
    """Write `(1 - weight) * a + weight * b`, tensor by tensor, as a checkpoint in `output` (config,
    tokenizer and other files copied from `a`). a, b: HF checkpoint dirs with `model.safetensors`,
    the same tensor names and shapes, and the same labels (id2label). weight in [0, 1].
    Integer tensors (position ids) are taken from `a`. Raises EmopulseError when they do not match."""
    if not 0.0 <= weight <= 1.0:
        raise EmopulseError(f"soup weight must be in [0, 1], got {weight}")
    return _mix(
        [a, b], [1 - weight, weight], output, {"a": os.path.abspath(a), "b": os.path.abspath(b), "weight": weight}
    )


def uniform_soup(checkpoints: list[str], output: str) -> str:
    """Write the mean of `checkpoints` (two or more HF checkpoint dirs, as in `average_checkpoints`),
    tensor by tensor, in `output`; files other than the weights are copied from the first."""
    if len(checkpoints) < 2:
        raise EmopulseError(f"a soup needs at least 2 checkpoints, got {len(checkpoints)}")
    w = [1 / len(checkpoints)] * len(checkpoints)
    return _mix(checkpoints, w, output, {"checkpoints": [os.path.abspath(d) for d in checkpoints], "weights": w})


def _mix(dirs: list[str], weights: list[float], output: str, record: dict) -> str:
    from safetensors.torch import load_file, save_file

    cfg = [json.load(open(os.path.join(d, "config.json"))) for d in dirs]
    for d, c in zip(dirs[1:], cfg[1:]):
        if c.get("id2label") != cfg[0].get("id2label"):
            raise EmopulseError(f"{dirs[0]} and {d}: different labels, cannot be averaged")
    sd = [load_file(os.path.join(d, WEIGHTS)) for d in dirs]
    for d, s in zip(dirs[1:], sd[1:]):
        bad = sorted(set(sd[0]) ^ set(s)) or [k for k in sd[0] if sd[0][k].shape != s[k].shape]
        if bad:
            raise EmopulseError(f"{dirs[0]} and {d}: different architectures ({', '.join(bad[:3])} ...)")
    os.makedirs(output, exist_ok=True)
    for f in os.listdir(dirs[0]):
        if f != WEIGHTS and os.path.isfile(os.path.join(dirs[0], f)):
            shutil.copyfile(os.path.join(dirs[0], f), os.path.join(output, f))
    mixed = {}
    for k, t in sd[0].items():
        if not t.is_floating_point():
            mixed[k] = t
            continue
        acc = weights[0] * t.float()  # summed in this order: a 2-way soup is bit-identical to before
        for w, s in zip(weights[1:], sd[1:]):
            acc = acc + w * s[k].float()
        mixed[k] = acc.to(t.dtype)
    save_file(mixed, os.path.join(output, WEIGHTS), metadata={"format": "pt"})
    with open(os.path.join(output, "soup.json"), "w") as f:
        json.dump(record, f, indent=2)
    return output
