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


def _ort_matmul_rate(op: str, a_type, b_type, a, b, threads: int) -> float:
    import onnxruntime as ort
    from onnx import TensorProto, helper

    m, k = a.shape
    n = b.shape[1]
    out_type = TensorProto.INT32 if op == "MatMulInteger" else TensorProto.FLOAT
    graph = helper.make_graph(
        [helper.make_node(op, ["A", "B"], ["Y"])],
        "gemm",
        [helper.make_tensor_value_info("A", a_type, [m, k])],
        [helper.make_tensor_value_info("Y", out_type, [m, n])],
        [helper.make_tensor("B", b_type, [k, n], b.tobytes(), raw=True)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    so = ort.SessionOptions()
    if threads:
        so.intra_op_num_threads = threads
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return _rate(lambda: sess.run(None, {"A": a}), 2.0 * m * k * n)


def fp32_gemm(m: int = 512, k: int = 768, n: int = 3072, threads: int = 0) -> float:
    """FLOP/s of ONNX Runtime's fp32 MatMul (MLAS) at a transformer FFN's shape."""
    from onnx import TensorProto

    rng = np.random.default_rng(0)
    return _ort_matmul_rate(
        "MatMul",
        TensorProto.FLOAT,
        TensorProto.FLOAT,
        rng.standard_normal((m, k), dtype=np.float32),
        rng.standard_normal((k, n), dtype=np.float32),
        threads,
    )


def int8_gemm(m: int = 512, k: int = 768, n: int = 3072, threads: int = 0, signed_weights: bool = True) -> float:
    """op/s of ONNX Runtime's MatMulInteger (the kernel dynamic int8 models run): u8 x s8 by default,
    u8 x u8 with `signed_weights=False` (what int8 bundles use on AVX2 without VNNI, where u8 x s8
    pairs can saturate)."""
    from onnx import TensorProto

    rng = np.random.default_rng(0)
    b = (
        rng.integers(-127, 127, size=(k, n), dtype=np.int8)
        if signed_weights
        else rng.integers(0, 255, size=(k, n), dtype=np.uint8)
    )
    return _ort_matmul_rate(
        "MatMulInteger",
        TensorProto.UINT8,
        TensorProto.INT8 if signed_weights else TensorProto.UINT8,
        rng.integers(0, 255, size=(m, k), dtype=np.uint8),
        b,
        threads,
    )


def fp16_gemm_cuda(m: int = 4096, k: int = 4096, n: int = 4096) -> float:
    import torch

    a = torch.randn(m, k, device="cuda", dtype=torch.float16)
    b = torch.randn(k, n, device="cuda", dtype=torch.float16)

    def step():
        torch.mm(a, b)
        torch.cuda.synchronize()

    return _rate(step, 2.0 * m * k * n)


def ffn_shape(config, tokens: int = 512) -> tuple[int, int, int]:
    """(m, k, n) of the model's FFN up-projection for `tokens` rows of activations: the GEMM its
    time is mostly spent in, so the ceiling is measured where the model runs."""
    h = config.hidden_size
    return tokens, h, getattr(config, "intermediate_size", 4 * h)


def flops_per_row(config, seq_len: float) -> float:
    """Forward FLOPs of one row of `seq_len` tokens: the dense layers plus attention scores."""
    h, layers = config.hidden_size, config.num_hidden_layers
    inter = getattr(config, "intermediate_size", 4 * h)
    dense = 2.0 * layers * (4 * h * h + 2 * h * inter) * seq_len
    attention = 4.0 * layers * h * seq_len * seq_len
    return dense + attention
