"""The shipped default model: an int8 ONNX bundle of the best recipe (see MODEL_CARD.md), built by
`make model`. `serve-batch`, `evaluate` and the Python API use it when no --model is given."""

import os
from importlib import resources


def path() -> str:
    return str(resources.files(__name__))


def available() -> bool:
    return os.path.exists(os.path.join(path(), "manifest.json"))
