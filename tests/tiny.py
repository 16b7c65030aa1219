"""The tiny test model: a byte-level BPE tokenizer trained on the bundled Korean comments and a
randomly initialised 2-layer RoBERTa classifier (id2label anger/sadness/happiness/neutral)."""

from __future__ import annotations

from emopulse.testing.shapes import build_random_checkpoint


def build_tiny_model(out_dir: str, seed: int = 0) -> str:
    return build_random_checkpoint(out_dir, "tiny", seed)


def export_raw_onnx(model_dir: str, out_dir: str) -> str:
    """A plain optimum export (model.onnx + tokenizer + config), as before the export stage."""
    from optimum.exporters.onnx import main_export

    main_export(model_dir, out_dir, task="text-classification", do_validation=False)
    return f"{out_dir}/model.onnx"
