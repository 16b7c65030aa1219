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
    kind: str                 # "onnx" | "torch"
    path: str                 # .onnx file, or HF checkpoint dir
    device: str = "cpu"       # "cpu" | "cuda" | "cuda:N"
    threads: int = 0          # intra-op threads; 0 = library default
    dtype: str = "fp32"       # torch on CUDA: "fp16" | "bf16" | "fp32"


def build_backend(spec: BackendSpec) -> Backend:
    if spec.kind == "onnx":
        from .onnx import OnnxBackend
        return OnnxBackend(spec.path, device=spec.device, threads=spec.threads)
    if spec.kind == "torch":
        from .torch import TorchBackend
        return TorchBackend(spec.path, device=spec.device, threads=spec.threads, dtype=spec.dtype)
    raise ValueError(f"unknown backend {spec.kind!r}")


__all__ = ["Backend", "BackendSpec", "build_backend", "softmax"]
