"""Weight averaging of fine-tuned checkpoints that share one initialisation (a "model soup",
Wortsman et al. 2022, ICML): one model's serving cost, often better than either ingredient.

The recipe (`scripts/quality.py`) averages the fine-tuned encoder with its further-transfer
descendant: on the 500 native dev rows the average beat both alone (encoder macro-F1 0.7063 vs
0.7036 and 0.6848) and gave the lowest log-loss with the n-gram member (0.556 vs 0.570).
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
    from safetensors.torch import load_file, save_file

    if not 0.0 <= weight <= 1.0:
        raise EmopulseError(f"soup weight must be in [0, 1], got {weight}")
    cfg = [json.load(open(os.path.join(d, "config.json"))) for d in (a, b)]
    if cfg[0].get("id2label") != cfg[1].get("id2label"):
        raise EmopulseError(f"{a} and {b}: different labels, cannot be averaged")
    sa, sb = (load_file(os.path.join(d, WEIGHTS)) for d in (a, b))
    bad = sorted(set(sa) ^ set(sb)) or [k for k in sa if sa[k].shape != sb[k].shape]
    if bad:
        raise EmopulseError(f"{a} and {b}: different architectures ({', '.join(bad[:3])} ...)")
    os.makedirs(output, exist_ok=True)
    for f in os.listdir(a):
        if f != WEIGHTS and os.path.isfile(os.path.join(a, f)):
            shutil.copyfile(os.path.join(a, f), os.path.join(output, f))
    mixed = {
        k: ((1 - weight) * sa[k].float() + weight * sb[k].float()).to(sa[k].dtype)
        if sa[k].is_floating_point()
        else sa[k]
        for k in sa
    }
    save_file(mixed, os.path.join(output, WEIGHTS), metadata={"format": "pt"})
    with open(os.path.join(output, "soup.json"), "w") as f:
        json.dump({"a": os.path.abspath(a), "b": os.path.abspath(b), "weight": weight}, f, indent=2)
    return output
