"""The machine's GEMM rates, measured in the same run, so each variant's speed can be read as a
fraction of what the hardware does on dense matrix products."""
from __future__ import annotations

import time

import numpy as np


def _rate(fn, ops: float, min_seconds: float = 1.0) -> float:
    fn()  # warm-up
    n, t0 = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - t0) < min_seconds or n < 3:
        fn()
        n += 1
    return ops * n / elapsed


def fp32_gemm(m: int = 512, k: int = 768, n: int = 3072, threads: int = 0) -> float:
    """FLOP/s of torch fp32 matmul at a transformer FFN's shape."""
    import torch
    if threads:
        torch.set_num_threads(threads)
    a, b = torch.randn(m, k), torch.randn(k, n)
    return _rate(lambda: torch.mm(a, b), 2.0 * m * k * n)


def int8_gemm(m: int = 512, k: int = 768, n: int = 3072, threads: int = 0) -> float:
    """op/s of ONNX Runtime's MatMulInteger (the kernel dynamic int8 models run)."""
    import onnxruntime as ort
    from onnx import TensorProto, helper
    b = np.random.default_rng(0).integers(-127, 127, size=(k, n), dtype=np.int8)
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["A", "B"], ["Y"])], "mmi",
        [helper.make_tensor_value_info("A", TensorProto.UINT8, [m, k])],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, [m, n])],
        [helper.make_tensor("B", TensorProto.INT8, [k, n], b.tobytes(), raw=True)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    so = ort.SessionOptions()
    if threads:
        so.intra_op_num_threads = threads
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    a = np.random.default_rng(1).integers(0, 255, size=(m, k), dtype=np.uint8)
    return _rate(lambda: sess.run(None, {"A": a}), 2.0 * m * k * n)


def fp16_gemm_cuda(m: int = 4096, k: int = 4096, n: int = 4096) -> float:
    import torch
    a = torch.randn(m, k, device="cuda", dtype=torch.float16)
    b = torch.randn(k, n, device="cuda", dtype=torch.float16)

    def step():
        torch.mm(a, b)
        torch.cuda.synchronize()
    return _rate(step, 2.0 * m * k * n)


def flops_per_row(config, seq_len: float) -> float:
    """Forward FLOPs of one row of `seq_len` tokens: the dense layers plus attention scores."""
    h, layers = config.hidden_size, config.num_hidden_layers
    inter = getattr(config, "intermediate_size", 4 * h)
    dense = 2.0 * layers * (4 * h * h + 2 * h * inter) * seq_len
    attention = 4.0 * layers * h * seq_len * seq_len
    return dense + attention
