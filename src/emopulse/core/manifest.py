"""A bundle's manifest.json as a typed record, read and written in one place.

`emopulse export` writes it; `core.bundle` (serving), `bench` and the demo read it through
`read_manifest`. Unknown keys (a newer export) are kept in `extra` and written back unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field

from .errors import BundleError

MANIFEST = "manifest.json"


@dataclass
class BundleManifest:
    ready: bool  # the gate passed (or --force); serving refuses False
    precision: str = "unknown"  # fp32 | optimized | int8 | int8-mixed | int8-static | int8-weights | fp16
    model_file: str = "model.onnx"  # relative to the bundle directory
    model_sha256: str | None = None  # of the gated model file's bytes
    max_length: int | None = None  # tokens the bundle was exported and gated at
    labels: list[str] = field(default_factory=list)
    forced: bool = False
    target: str = "cpu"  # the device it was built for
    tool: str = ""  # what built the graph (optimum, onnxruntime, ...)
    opset: int | None = None
    source_checkpoint: str | None = None  # relative to the bundle directory (absolute before 0.2)
    source_sha256: str | None = None
    tokenizer_sha256: str | None = None
    gate: dict = field(default_factory=dict)  # the gate's figures, verdict and thresholds
    tried: list = field(default_factory=list)  # every candidate precision with its gate figures
    versions: dict = field(default_factory=dict)  # library versions at export
    export_seconds: float | None = None
    created: str = ""
    converted_from: dict | None = None  # a bundle rebuilt from another (scripts/ship_weight_only.py):
    converted: str | None = None  # the source's precision, sha256, tool, gate and tried; when;
    converted_with: dict | None = None  # and with which library versions
    extra: dict = field(default_factory=dict)  # keys this version does not know, kept as written

    @classmethod
    def from_dict(cls, d: dict) -> BundleManifest:
        """ValueError (with the key) when a known key has the wrong type."""
        if not isinstance(d, dict):
            raise ValueError("not a JSON object")
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        kw = {k: v for k, v in d.items() if k in names}
        kw.setdefault("ready", False)
        for key, kinds in (
            ("precision", str),
            ("model_file", str),
            ("max_length", (int, type(None))),
            ("labels", list),
            ("gate", dict),
            ("tried", list),
            ("model_sha256", (str, type(None))),
        ):
            if key in kw and (not isinstance(kw[key], kinds) or isinstance(kw[key], bool)):
                raise ValueError(f"{key} is {type(kw[key]).__name__}")
        return cls(**kw, extra={k: v for k, v in d.items() if k not in names})

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        extra = out.pop("extra")
        return out | extra

    def checkpoint_dir(self, bundle_dir: str) -> str | None:
        """The source checkpoint's directory as this machine sees it, or None when it is not here."""
        if not self.source_checkpoint:
            return None
        path = os.path.normpath(os.path.join(bundle_dir, self.source_checkpoint))
        return path if os.path.exists(os.path.join(path, "config.json")) else None


def read_manifest(bundle_dir: str) -> BundleManifest:
    """The manifest of a bundle directory, or a one-line BundleError (no check of readiness or the
    model file: core.bundle.read_bundle_manifest does those for serving)."""
    path = os.path.join(bundle_dir, MANIFEST)
    try:
        with open(path, encoding="utf-8") as f:
            return BundleManifest.from_dict(json.load(f))
    except (OSError, ValueError, TypeError) as exc:
        raise BundleError(f"{path}: unreadable bundle manifest ({exc}); export the bundle again") from exc


def write_manifest(bundle_dir: str, manifest: BundleManifest) -> None:
    with open(os.path.join(bundle_dir, MANIFEST), "w", encoding="utf-8") as f:
        json.dump(manifest.to_dict(), f, indent=2)
