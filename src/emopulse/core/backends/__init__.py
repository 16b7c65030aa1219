"""Inference backends. Each offers the same three steps so the engine can overlap them:

prepare(batch) -> inputs   (CPU: padded numpy arrays to the backend's own input format)
run(inputs)    -> logits   (the model; releases the GIL, so it overlaps with other threads)
finish(logits) -> probs    (CPU: softmax to float32 probabilities)
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import Backend, softmax


@dataclass(frozen=True)
class BackendSpec:
    """Everything needed to build a backend again in another process (no live objects)."""

    kind: str  # "onnx" | "torch" | "noop" (a null model: host benchmarks)
    path: str  # .onnx file, or HF checkpoint dir
    device: str = "cpu"  # "cpu" | "cuda" | "cuda:N"
    threads: int = 0  # intra-op threads; 0 = library default
    dtype: str = "fp32"  # torch on CUDA: "fp16" | "bf16" | "fp32"


def build_backend(spec: BackendSpec) -> Backend:
    """The backend, or a one-line BundleError when the model file cannot be loaded."""
    from ..errors import BundleError

    try:
        if spec.kind == "onnx":
            from .onnx import OnnxBackend

            return OnnxBackend(spec.path, device=spec.device, threads=spec.threads)
        if spec.kind == "noop":
            from .noop import NoopBackend

            return NoopBackend(spec.path)
        if spec.kind == "torch":
            from .torch import TorchBackend

            return TorchBackend(spec.path, device=spec.device, threads=spec.threads, dtype=spec.dtype)
    except (BundleError, ImportError):
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise BundleError(f"{spec.path}: cannot be loaded as a {spec.kind} model ({first})") from exc
    raise BundleError(f"unknown backend {spec.kind!r}")


__all__ = ["Backend", "BackendSpec", "build_backend", "softmax"]
