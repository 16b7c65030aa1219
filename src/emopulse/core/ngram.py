"""The character n-gram member: TF-IDF over char_wb 1-3-grams + a multinomial linear model,
computed in numpy so serving needs neither scikit-learn nor pickles.

Training uses scikit-learn (`train/ensemble.py`) and stores the fitted vocabulary, idf, weights and
bias as `ngram.json` + `ngram.safetensors`. `features` reproduces sklearn's
`TfidfVectorizer(analyzer="char_wb", lowercase=True, sublinear_tf=True, norm="l2")` exactly
(tested against it), so the served logits equal `LogisticRegression.decision_function`.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

import numpy as np

NGRAM_JSON = "ngram.json"
NGRAM_WEIGHTS = "ngram.safetensors"
_WHITE = re.compile(r"\s\s+")


def char_wb_ngrams(text: str, lo: int, hi: int, lowercase: bool = True) -> list[str]:
    """sklearn's char_wb analyzer: n-grams inside space-padded words, a short word counted once."""
    if lowercase:
        text = text.lower()
    out = []
    for w in _WHITE.sub(" ", text).split():
        w = f" {w} "
        w_len = len(w)
        for n in range(lo, hi + 1):
            offset = 0
            out.append(w[offset:offset + n])
            while offset + n < w_len:
                offset += 1
                out.append(w[offset:offset + n])
            if offset == 0:
                break
    return out


@dataclass
class NgramModel:
    vocab: dict[str, int]
    idf: np.ndarray            # [V]
    coef: np.ndarray           # [k, V]
    intercept: np.ndarray      # [k]
    ngram_range: tuple[int, int] = (1, 3)
    lowercase: bool = True

    def logits(self, texts: list[str]) -> np.ndarray:
        idx_all, val_all, offsets = [], [], [0]
        lo, hi = self.ngram_range
        for t in texts:
            counts: dict[int, int] = {}
            for g in char_wb_ngrams(t, lo, hi, self.lowercase):
                j = self.vocab.get(g)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            idx = np.fromiter(counts.keys(), np.int64, len(counts))
            tf = np.fromiter(counts.values(), np.float64, len(counts))
            w = (1.0 + np.log(tf)) * self.idf[idx] if len(idx) else tf
            norm = np.sqrt((w * w).sum())
            idx_all.append(idx)
            val_all.append(w / norm if norm > 0 else w)
            offsets.append(offsets[-1] + len(idx))
        out = np.tile(self.intercept.astype(np.float64), (len(texts), 1))
        if offsets[-1]:
            idx, val = np.concatenate(idx_all), np.concatenate(val_all)
            contrib = self.coef.T[idx].astype(np.float64) * val[:, None]       # [nnz, k]
            starts = np.asarray(offsets[:-1])
            nonempty = np.diff(offsets) > 0
            sums = np.add.reduceat(contrib, starts[nonempty], axis=0)
            out[nonempty] += sums
        return out.astype(np.float32)

    def save(self, directory: str, labels: list[str]) -> None:
        from safetensors.numpy import save_file
        ngrams = sorted(self.vocab, key=self.vocab.get)
        with open(os.path.join(directory, NGRAM_JSON), "w", encoding="utf-8") as f:
            json.dump({"analyzer": "char_wb", "ngram_range": list(self.ngram_range), "lowercase": self.lowercase,
                       "sublinear_tf": True, "norm": "l2", "labels": list(labels), "ngrams": ngrams},
                      f, ensure_ascii=False)
        save_file({"idf": self.idf.astype(np.float32), "coef": self.coef.astype(np.float32),
                   "intercept": self.intercept.astype(np.float32)}, os.path.join(directory, NGRAM_WEIGHTS))

    @classmethod
    def load(cls, directory: str, labels: list[str]) -> "NgramModel":
        from safetensors.numpy import load_file
        from .errors import BundleError
        try:
            with open(os.path.join(directory, NGRAM_JSON), encoding="utf-8") as f:
                meta = json.load(f)
            w = load_file(os.path.join(directory, NGRAM_WEIGHTS))
        except (OSError, ValueError) as exc:
            raise BundleError(f"{directory}: the n-gram member cannot be read ({exc})") from exc
        if meta.get("labels") != list(labels):
            raise BundleError(f"{directory}: n-gram member labels {meta.get('labels')} differ from the model's {labels}")
        if w["coef"].shape != (len(labels), len(meta["ngrams"])):
            raise BundleError(f"{directory}: n-gram weights {w['coef'].shape} do not match its vocabulary")
        return cls({g: i for i, g in enumerate(meta["ngrams"])}, w["idf"].astype(np.float64), w["coef"],
                   w["intercept"], tuple(meta["ngram_range"]), bool(meta.get("lowercase", True)))

    @classmethod
    def from_sklearn(cls, vectorizer, classifier, labels: list[str]) -> "NgramModel":
        """From a fitted TfidfVectorizer(char_wb, sublinear_tf) + multinomial LogisticRegression."""
        order = [list(classifier.classes_).index(lab) for lab in labels]
        return cls({g: int(i) for g, i in vectorizer.vocabulary_.items()}, vectorizer.idf_.astype(np.float64),
                   classifier.coef_[order].astype(np.float32), classifier.intercept_[order].astype(np.float32),
                   tuple(vectorizer.ngram_range), bool(vectorizer.lowercase))
