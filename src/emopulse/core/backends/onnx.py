"""ONNX Runtime backend: CPU EP with explicit threads, CUDA / TensorRT EP with IO binding."""

from __future__ import annotations

import numpy as np

from ..batching import Batch
from .base import Backend


def available_providers() -> list[str]:
    import onnxruntime as ort

    return ort.get_available_providers()


def session_options(threads: int):
    import onnxruntime as ort

    so = ort.SessionOptions()
    # The exported graph is already optimized by `emopulse export`; ORT still applies its
    # cheap level at load. Sequential execution: one batch at a time, all threads on its GEMMs.
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    if threads:
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
    return so


class OnnxBackend(Backend):
    name = "onnx"

    def __init__(self, path: str, device: str = "cpu", threads: int = 0):
        import onnxruntime as ort

        have = available_providers()
        if device.startswith("cuda"):
            dev_id = int(device.split(":")[1]) if ":" in device else 0
            if "CUDAExecutionProvider" not in have:
                raise RuntimeError(
                    f"device {device} asked for, but onnxruntime has only {have} "
                    "(install the `gpu` extra: onnxruntime-gpu)"
                )
            providers = [("CUDAExecutionProvider", {"device_id": dev_id})]
            if "TensorrtExecutionProvider" in have:
                providers.insert(0, ("TensorrtExecutionProvider", {"device_id": dev_id}))
            self.device_id = dev_id
        else:
            providers = ["CPUExecutionProvider"]
        self.session = ort.InferenceSession(path, session_options(threads), providers=providers)
        self.device = device
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_name = self.session.get_outputs()[0].name
        self.use_binding = device.startswith("cuda")

    def prepare(self, batch: Batch):
        feeds = {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(batch.input_ids)
        return {k: v for k, v in feeds.items() if k in self.input_names}

    def run(self, inputs) -> np.ndarray:
        if not self.use_binding:
            return self.session.run([self.output_name], inputs)[0]
        # IO binding keeps the output on the GPU until one copy back, instead of ORT's
        # implicit host<->device round trips per call.
        binding = self.session.io_binding()
        for name, arr in inputs.items():
            binding.bind_cpu_input(name, arr)
        binding.bind_output(self.output_name, "cuda", self.device_id)
        self.session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()[0]
