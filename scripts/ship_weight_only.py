"""Re-ship the default bundle as weight-only int8 (one answer per text), from its own int8 weights.

  python scripts/ship_weight_only.py [--bundle src/emopulse/model]

The shipped bundle was dynamic int8 (int8-mixed); its rows' probabilities moved with their
batch-mates. This rewrites model.onnx with export/weight_only.from_dynamic_int8 (same int8 weights,
scales and zero points; activations no longer quantized per batch) and records the change in
manifest.json. Figures: scripts/invariance_figures.py."""

from __future__ import annotations

import argparse
import json
import os
import time

import onnx

from emopulse.core.storage import sha256 as sha256_file
from emopulse.export.weight_only import PRECISION, from_dynamic_int8


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", default="src/emopulse/model")
    a = ap.parse_args()
    mpath = os.path.join(a.bundle, "manifest.json")
    with open(mpath) as f:
        manifest = json.load(f)
    if manifest["precision"] == PRECISION:
        print(f"{a.bundle}: already {PRECISION}")
        return
    model_file = os.path.join(a.bundle, manifest["model_file"])
    before = {
        "precision": manifest["precision"],
        "model_sha256": manifest["model_sha256"],
        "tool": manifest["tool"],
        "gate": manifest.pop("gate"),
        "tried": manifest.pop("tried"),
    }
    onnx.save(from_dynamic_int8(onnx.load(model_file)), model_file)
    import onnxruntime

    manifest |= {
        "precision": PRECISION,
        "model_sha256": sha256_file(model_file),
        "tool": "weight-only int8 (W8A32): export/weight_only.from_dynamic_int8 on the int8-mixed bundle below "
        "(its int8 weights, scales and zero points kept; no activation quantized per batch)",
        "converted_from": before,
        "converted": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "converted_with": {"onnxruntime": onnxruntime.__version__, "onnx": onnx.__version__},
        # the source checkpoint lived on the build machine: its name, not a path of that machine
        "source_checkpoint": os.path.basename(str(manifest.get("source_checkpoint", "")).rstrip("/")),
    }
    manifest["tried"] = []
    manifest["gate"] = before["gate"] | {
        "note": "measured on the int8-mixed source; the weight-only "
        "figures against it are in MODEL_CARD.md (scripts/invariance_figures.py)"
    }
    with open(mpath, "w") as f:
        json.dump(manifest, f, indent=2)
    print(f"{model_file}: {PRECISION}, {os.path.getsize(model_file) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
