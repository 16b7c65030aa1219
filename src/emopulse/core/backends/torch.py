"""PyTorch backend: any HF sequence-classification checkpoint, CPU fp32 or CUDA fp16/bf16."""

from __future__ import annotations

import numpy as np

from ..batching import Batch
from .base import Backend


class TorchBackend(Backend):
    name = "torch"

    def __init__(self, path: str, device: str = "cpu", threads: int = 0, dtype: str = "fp32"):
        import torch
        from transformers import AutoModelForSequenceClassification

        if threads:
            torch.set_num_threads(threads)
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"device {device} asked for, but torch sees no CUDA device")
        torch_dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[dtype]
        if device == "cpu":
            torch_dtype = torch.float32
        self.torch = torch
        try:  # fused scaled-dot-product attention (flash / memory-efficient kernels on CUDA)
            model = AutoModelForSequenceClassification.from_pretrained(
                path, dtype=torch_dtype, attn_implementation="sdpa"
            )
        except (ValueError, ImportError):  # an architecture without an SDPA path
            model = AutoModelForSequenceClassification.from_pretrained(path, dtype=torch_dtype)
        self.model = model.to(device).eval()
        self.device = device
        # pinned host memory: a copy to the GPU that does not block the host (pageable memory would)
        self.pin = device.startswith("cuda")

    def prepare(self, batch: Batch):
        t = self.torch
        feeds = {"input_ids": t.from_numpy(batch.input_ids), "attention_mask": t.from_numpy(batch.attention_mask)}
        if self.pin:
            feeds = {k: v.pin_memory() for k, v in feeds.items()}
        return {k: v.to(self.device, non_blocking=True) for k, v in feeds.items()}

    def run(self, inputs) -> np.ndarray:
        with self.torch.inference_mode():
            logits = self.model(**inputs).logits
        return logits.float().cpu().numpy()
