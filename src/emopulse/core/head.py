"""The served head: encoder probabilities -> the probabilities every backend reports.

    z = (1 - w) * log p_encoder + w * log p_ngram      (w = ngram_weight; the n-gram member optional)
    p = softmax(z / temperature + bias)

Fitted on native validation rows by `train/ensemble.py` and stored as `head.json` (+ the n-gram
member's files) next to the model, in checkpoints and bundles alike; the Predictor applies it to
distinct texts after the backend ran, so ONNX, torch, local and Ray engines serve the same numbers.
Without head.json the head is the identity.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field

import numpy as np

from .errors import BundleError
from .ngram import NGRAM_JSON, NGRAM_WEIGHTS, NgramModel

HEAD_JSON = "head.json"
HEAD_FILES = (HEAD_JSON, NGRAM_JSON, NGRAM_WEIGHTS)


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


@dataclass
class HeadSpec:
    temperature: float = 1.0
    ngram_weight: float = 0.0
    bias: list[float] | None = None
    fitted_on: dict = field(default_factory=dict)  # what it was fit on, and its measured effect

    def __post_init__(self):
        if not (np.isfinite(self.temperature) and self.temperature > 0):
            raise BundleError(f"head temperature must be > 0, got {self.temperature}")
        if not 0.0 <= self.ngram_weight <= 1.0:
            raise BundleError(f"head ngram_weight must be in [0, 1], got {self.ngram_weight}")


class Head:
    def __init__(self, spec: HeadSpec | None = None, ngram: NgramModel | None = None):
        self.spec = spec or HeadSpec()
        self.ngram = ngram
        if self.spec.ngram_weight > 0 and ngram is None:
            raise BundleError("head mixes an n-gram member, but none was loaded")

    @property
    def identity(self) -> bool:
        s = self.spec
        return s.temperature == 1.0 and s.ngram_weight == 0.0 and not s.bias

    @property
    def uses_texts(self) -> bool:
        """Whether the head reads the texts (an n-gram member), not only the encoder's probabilities."""
        return self.spec.ngram_weight > 0

    def member_logits(self, texts: list[str]) -> np.ndarray | None:
        """The text members' logits [len(texts), k] (None without one): the head's text-side work,
        done where the texts are prepared (in parallel, before the model runs)."""
        return self.ngram.logits(texts) if self.uses_texts else None

    def logits(
        self, probs: np.ndarray, texts: list[str] | None = None, member_logits: np.ndarray | None = None
    ) -> np.ndarray:
        """Combined logits (before temperature and bias) of rows with finite encoder probabilities."""
        z = np.log(np.clip(probs.astype(np.float64), 1e-30, None))
        w = self.spec.ngram_weight
        if w > 0:
            m = member_logits if member_logits is not None else self.ngram.logits(texts)
            z = (1 - w) * z + w * log_softmax(m.astype(np.float64))
        return z

    def apply(
        self, probs: np.ndarray, texts: list[str] | None = None, member_logits: np.ndarray | None = None
    ) -> np.ndarray:
        """Served probabilities [n, k] from encoder probabilities [n, k] (rows with NaN stay NaN) and
        either the texts or their precomputed `member_logits`."""
        if self.identity or not len(probs):
            return probs
        ok = np.isfinite(probs).all(axis=1)
        out = probs.copy()
        if ok.any():
            if self.uses_texts and member_logits is None:
                member_logits = self.member_logits(texts)
            z = self.logits(probs[ok], member_logits=member_logits[ok] if member_logits is not None else None)
            z = z / self.spec.temperature
            if self.spec.bias:
                z = z + np.asarray(self.spec.bias, np.float64)
            out[ok] = np.exp(log_softmax(z)).astype(np.float32)
        return out

    def save(self, directory: str, labels: list[str]) -> None:
        with open(os.path.join(directory, HEAD_JSON), "w") as f:
            json.dump(asdict(self.spec) | {"labels": list(labels), "ngram": self.ngram is not None}, f, indent=2)
        if self.ngram is not None:
            self.ngram.save(directory, labels)


def head_sha256(directory: str) -> str | None:
    """Hash of the head files beside a model (None when it has none): part of a run's fingerprint."""
    files = [os.path.join(directory, n) for n in HEAD_FILES if os.path.exists(os.path.join(directory, n))]
    if not files:
        return None
    h = hashlib.sha256()
    for p in files:
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def load_head(directory: str, labels: list[str]) -> Head:
    path = os.path.join(directory, HEAD_JSON)
    if not os.path.exists(path):
        return Head()
    try:
        with open(path) as f:
            meta = json.load(f)
    except (OSError, ValueError) as exc:
        raise BundleError(f"{path}: cannot be read ({exc})") from exc
    if meta.get("labels") not in (None, list(labels)):
        raise BundleError(f"{path}: head labels {meta.get('labels')} differ from the model's {labels}")
    spec = HeadSpec(**{k: meta[k] for k in ("temperature", "ngram_weight", "bias", "fitted_on") if k in meta})
    if spec.bias is not None and len(spec.bias) != len(labels):
        raise BundleError(f"{path}: {len(spec.bias)} biases for {len(labels)} labels")
    ngram = NgramModel.load(directory, labels) if meta.get("ngram") else None
    return Head(spec, ngram)
