"""Load what serve-batch, bench and the Ray engine run: an exported ONNX bundle, a bare .onnx file
next to its tokenizer, or an HF checkpoint directory (PyTorch backend).

A bundle's manifest.json is written by `emopulse export`; a bundle that is not marked ready (it
failed the accuracy gate) is refused.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from dataclasses import dataclass

import numpy as np

from .backends import BackendSpec
from .batching import Tokens
from .errors import BundleError
from .fingerprint import sha256_cached
from .head import Head, head_sha256, load_head
from .manifest import MANIFEST, BundleManifest, read_manifest

CHECKPOINT_MAX_LENGTH = 256  # max_length 0 (auto) for a checkpoint or a bare .onnx file


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class TextEncoder:
    """A fast tokenizer set to truncate at max_length and not to pad (batching pads)."""

    def __init__(self, backend_tokenizer, pad_id: int, max_length: int):
        self.tok = backend_tokenizer
        self.pad_id = pad_id
        self.tok.no_padding()
        self.tok.enable_truncation(max_length)
        self.max_length = max_length

    def encode(self, texts: list[str]) -> tuple[list[list[int]], np.ndarray]:
        """Token ids per text (special tokens included) and whether each was truncated."""
        encs = self._encode(texts)
        return [e.ids for e in encs], self._truncated(encs)

    def encode_tokens(self, texts: list[str], pool=None, chunk: int = 2048) -> Tokens:
        """Token ids of every text as one flat array (special tokens included), with lengths and
        truncation flags. With a thread pool, chunks are tokenized in parallel: the Rust tokenizer
        releases the GIL, so chunks scale with cores even with TOKENIZERS_PARALLELISM=false."""
        if pool is None or len(texts) <= chunk:
            return self._encode_chunk(texts)
        return Tokens.concat(
            list(pool.map(self._encode_chunk, [texts[i : i + chunk] for i in range(0, len(texts), chunk)]))
        )

    def _encode(self, texts: list[str]):
        # encode_batch_fast skips character offsets, which serving never reads
        fast = getattr(self.tok, "encode_batch_fast", None)
        return fast(texts) if fast is not None else self.tok.encode_batch(texts)

    def _truncated(self, encs) -> np.ndarray:
        # only a row of max_length tokens can have been cut; ask just those
        return np.fromiter(
            (len(e) >= self.max_length and len(e.overflowing) > 0 for e in encs), dtype=bool, count=len(encs)
        )

    def _encode_chunk(self, texts: list[str]) -> Tokens:
        encs = self._encode(texts)
        lengths = np.fromiter(map(len, encs), np.int64, len(encs))
        flat = np.fromiter(itertools.chain.from_iterable(e.ids for e in encs), np.int64, int(lengths.sum()))
        return Tokens(flat, lengths, self._truncated(encs))

    def fingerprint(self) -> str:
        return sha256_text(self.tok.to_str())


@dataclass
class Bundle:
    path: str
    spec: BackendSpec
    labels: list[str]  # index -> label, from the model's id2label
    max_length: int
    precision: str
    model_dir: str  # where tokenizer and config live
    manifest: BundleManifest | None = None  # None for a checkpoint or a bare .onnx file

    def encoder(self) -> TextEncoder:
        return load_encoder(self.model_dir, self.max_length)

    def head(self) -> Head:
        """Temperature, biases and the n-gram member stored beside the model (identity if none);
        read once (load_bundle reads it, so a bad head fails before any output exists)."""
        if self.__dict__.get("_head") is None:
            self.__dict__["_head"] = load_head(self.model_dir, self.labels)
        return self.__dict__["_head"]

    def predictor(
        self,
        max_batch_tokens: int = 8192,
        max_batch_rows: int = 256,
        encoder: TextEncoder | None = None,
        host_workers: int = 1,
        timers=None,
    ):
        """The served predictor: tokenizer, labels, batching and the head."""
        from .batching import bucket_for
        from .predictor import Predictor

        return Predictor(
            encoder or self.encoder(),
            self.labels,
            max_batch_tokens,
            max_batch_rows,
            self.head(),
            bucket_for(self.precision, self.spec.device),
            host_workers,
            timers,
        )

    def fingerprint(self, encoder: TextEncoder) -> dict:
        """What must not change between a run and its resume."""
        # the bytes really served, never a hash a manifest claims (cached by size and mtime)
        if self.spec.kind == "onnx":
            model_hash = sha256_cached(self.spec.path)
        else:
            weights = sorted(f for f in os.listdir(self.model_dir) if f.endswith((".safetensors", ".bin")))
            model_hash = sha256_text(",".join(sha256_cached(os.path.join(self.model_dir, w)) for w in weights))
        return {
            "model_sha256": model_hash,
            "tokenizer_sha256": encoder.fingerprint(),
            "head_sha256": head_sha256(self.model_dir),
            "max_length": self.max_length,
            "backend": self.spec.kind,
            "precision": self.precision,
            "labels": self.labels,
        }


def load_encoder(model_dir: str, max_length: int) -> TextEncoder:
    """The fast tokenizer of a model directory, set to truncate at max_length."""
    fast = _load_tokenizer_json(model_dir)
    if fast is not None:
        return TextEncoder(*fast, max_length=max_length)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir, use_fast=True)
    if not tok.is_fast:
        raise BundleError(f"{model_dir}: no fast tokenizer; emopulse needs one")
    return TextEncoder(tok.backend_tokenizer, tok.pad_token_id if tok.pad_token_id is not None else 0, max_length)


def _load_tokenizer_json(model_dir: str):
    """(tokenizer, pad id) straight from tokenizer.json, without importing transformers (seconds
    of start-up per process); None when the directory has no tokenizer.json."""
    path = os.path.join(model_dir, "tokenizer.json")
    if not os.path.exists(path):
        return None
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(path)
    pad = None
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        cfg_path = os.path.join(model_dir, name)
        if pad is None and os.path.exists(cfg_path):
            with open(cfg_path) as f:
                pad = json.load(f).get("pad_token")
    if isinstance(pad, dict):
        pad = pad.get("content")
    pad_id = tok.token_to_id(pad) if pad else None
    return tok, pad_id if pad_id is not None else 0


def read_bundle_manifest(path: str) -> BundleManifest:
    """A bundle's manifest.json, checked for serving: readable, ready is the boolean true, the model
    file's bytes are the ones the export gated (sha256, cached by size and mtime)."""
    manifest = read_manifest(path)
    if manifest.ready is not True:
        raise BundleError(
            f"{path}: bundle is not marked ready (it failed or never ran the accuracy gate: "
            f"{manifest.gate.get('verdict', 'no gate')}; ready={manifest.ready!r})"
        )
    model_file = bundle_model_file(path, manifest)
    want = manifest.model_sha256
    if want and sha256_cached(model_file) != want:
        raise BundleError(
            f"{model_file}: its bytes are not the ones the export gated (sha256 differs from "
            "manifest.json): the model file was replaced or corrupted; export again"
        )
    return manifest


def bundle_model_file(path: str, manifest: BundleManifest) -> str:
    """The manifest's model_file, confined to the bundle directory."""
    name = manifest.model_file
    root = os.path.realpath(path)
    full = os.path.realpath(os.path.join(root, str(name)))
    if not full.startswith(root + os.sep):
        raise BundleError(f"{path}: manifest model_file {name!r} points outside the bundle")
    if not os.path.isfile(full):
        raise BundleError(f"{path}: the model file {name} is missing")
    return full


def read_labels(config_path: str) -> list[str]:
    try:
        with open(config_path) as f:
            cfg = json.load(f)
    except (OSError, ValueError) as exc:
        raise BundleError(f"{config_path}: unreadable ({exc})") from exc
    id2label = cfg.get("id2label")
    if not id2label:
        raise BundleError(f"{config_path}: no id2label; emopulse needs the model's label names")
    labels = [id2label[str(i)] for i in range(len(id2label))]
    if all(lab.startswith("LABEL_") for lab in labels):
        raise BundleError(
            f"{config_path}: id2label holds only generic LABEL_i names; "
            "fine-tune with named labels (emopulse train does)"
        )
    return labels


def model_max_length(config) -> int:
    """Longest input the model's position table allows (a config.json path or a config dict)."""
    if isinstance(config, str):
        with open(config) as f:
            config = json.load(f)
    cfg = config
    n = int(cfg.get("max_position_embeddings", 512))
    if "roberta" in cfg.get("model_type", "") or cfg.get("model_type") == "camembert":
        n -= int(cfg.get("pad_token_id", 1)) + 1  # RoBERTa positions start after the pad index
    return n


def resolve_model(path: str | None) -> str:
    """The model a command uses: the given path, else the shipped default bundle."""
    if path:
        return path
    from .. import model

    if not model.available():
        raise BundleError(
            "no --model given and the shipped default model is missing from this install "
            "(build it with `make model`, or pass --model)"
        )
    return model.path()


def load_bundle(path: str, max_length: int = 0, device: str = "cpu", threads: int = 0, dtype: str = "fp16") -> Bundle:
    """A servable model; max_length is clipped to the model's own limit (0: a bundle's exported
    max_length, or 256 for a checkpoint or bare .onnx file)."""
    path = os.path.expanduser(path)
    manifest: BundleManifest | None = None
    if os.path.isfile(path) and path.endswith(".onnx"):
        model_dir, kind, precision, model_file = os.path.dirname(path) or ".", "onnx", "raw", path
    elif os.path.isdir(path) and os.path.exists(os.path.join(path, MANIFEST)):
        manifest = read_bundle_manifest(path)
        model_dir, kind = path, "onnx"
        precision = manifest.precision
        model_file = bundle_model_file(path, manifest)
        if device.startswith("cuda") and precision.startswith("int8"):
            raise BundleError(f"{path}: an int8 bundle is for CPU; export fp16 for CUDA")
    elif os.path.isdir(path) and any(f.endswith(".onnx") for f in os.listdir(path)):
        raise BundleError(
            f"{path}: has ONNX files but no {MANIFEST}: not an emopulse bundle. "
            "Run `emopulse export`, or pass the .onnx file itself"
        )
    elif os.path.isdir(path) and os.path.exists(os.path.join(path, "config.json")):
        model_dir, kind, precision, model_file = path, "torch", ("fp32" if device == "cpu" else dtype), path
    else:
        raise BundleError(
            f"{path}: neither an emopulse bundle, an .onnx file nor an HF checkpoint directory with config.json"
        )
    config = os.path.join(model_dir, "config.json")
    if not os.path.exists(config):
        raise BundleError(f"{model_dir}: no config.json next to the model (needed for id2label)")
    if kind == "torch" and not any(f.endswith(".safetensors") for f in os.listdir(model_dir)):
        raise BundleError(f"{model_dir}: no safetensors weights (emopulse loads no pickled weights)")
    if not os.path.exists(os.path.join(model_dir, "tokenizer.json")) and not os.path.exists(
        os.path.join(model_dir, "tokenizer_config.json")
    ):
        raise BundleError(f"{model_dir}: no tokenizer (tokenizer.json) next to the model")
    # a bundle's limit is what it was exported and gated at; a checkpoint's, its position table (auto: 256)
    limit = int((manifest and manifest.max_length) or model_max_length(config))
    if not max_length and manifest is None:
        max_length = CHECKPOINT_MAX_LENGTH
    labels = read_labels(config)
    check_classes(kind, model_file, model_dir, config, labels)
    bundle = Bundle(
        path=path,
        spec=BackendSpec(kind, model_file, device, threads, dtype),
        labels=labels,
        max_length=min(max_length or limit, limit),
        precision=precision,
        model_dir=model_dir,
        manifest=manifest,
    )
    bundle.head()
    return bundle


def check_classes(kind: str, model_file: str, model_dir: str, config: str, labels: list[str]) -> None:
    """The model's number of classes (the ONNX graph's output width; a checkpoint's classifier rows)
    must be the number of names in id2label: checked when the model is loaded, before any output
    directory exists (issue 22: found at the first batch, the next plain run was refused with 13)."""
    n = None
    try:
        if kind == "onnx":
            import onnx

            out = onnx.load(model_file, load_external_data=False).graph.output
            dims = out[0].type.tensor_type.shape.dim if out else []
            n = dims[-1].dim_value if dims and dims[-1].HasField("dim_value") else None
        else:
            from safetensors import safe_open

            for name in sorted(f for f in os.listdir(model_dir) if f.endswith(".safetensors")):
                with safe_open(os.path.join(model_dir, name), "np") as st:
                    for key in st.keys():  # noqa: SIM118 - safe_open is not a dict
                        if key.endswith(("classifier.weight", "classifier.out_proj.weight", "score.weight")):
                            n = st.get_slice(key).get_shape()[0]
    except Exception as exc:  # noqa: BLE001 - onnx / safetensors raise their own kinds
        raise BundleError(f"{model_file}: the model cannot be read ({type(exc).__name__}: {exc})") from None
    if n is not None and n != len(labels):
        raise BundleError(
            f"{config}: id2label names {len(labels)} classes ({', '.join(labels)}) but the model "
            f"returns {n}: config.json does not belong to this model"
        )
