"""The precision ladder, built with optimum; onnxruntime's own tools where optimum cannot.

Every function takes the directory of a plain export and returns (path of the new .onnx, note),
where the note says which tool made it (it goes into the manifest).
"""

from __future__ import annotations

import os
import platform
import shutil

import numpy as np

PLAIN = "model.onnx"


def export_plain(checkpoint: str, work: str, opset: int | None) -> str:
    """fp32: optimum's exporter (torch -> ONNX, dynamic batch and sequence axes)."""
    from optimum.exporters.onnx import main_export

    main_export(checkpoint, work, task="text-classification", opset=opset, do_validation=False, local_files_only=True)
    return os.path.join(work, PLAIN)


def cpu_kernel_config() -> str:
    """Which int8 kernel family this CPU runs best: avx512_vnni, avx512, avx2 or arm64."""
    if platform.machine().lower() in ("arm64", "aarch64"):
        return "arm64"
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        flags = ""
    for name, flag in (("avx512_vnni", "avx512_vnni"), ("avx512", "avx512f"), ("avx2", "avx2")):
        if f" {flag}" in flags:
            return name
    return "avx2"


def optimize(work: str, config, for_gpu: bool = False, fp16: bool = False) -> tuple[str, str]:
    """Graph fusion (attention, GELU, LayerNorm, skip connections) at level 2: exact, no approximations."""
    suffix = "fp16" if fp16 else "optimized"
    try:
        from optimum.onnxruntime import ORTOptimizer
        from optimum.onnxruntime.configuration import OptimizationConfig

        opt = ORTOptimizer.from_pretrained(work, file_names=[PLAIN])
        opt.optimize(
            save_dir=work,
            file_suffix=suffix,
            optimization_config=OptimizationConfig(optimization_level=2, optimize_for_gpu=for_gpu, fp16=fp16),
        )
        return os.path.join(work, f"model_{suffix}.onnx"), "optimum ORTOptimizer level 2"
    except Exception as exc:  # noqa: BLE001 - recorded as the reason for the fallback
        from onnxruntime.transformers.optimizer import optimize_model

        model = optimize_model(
            os.path.join(work, PLAIN),
            model_type=_ort_model_type(config),
            num_heads=config.num_attention_heads,
            hidden_size=config.hidden_size,
            opt_level=0 if fp16 else 1,
            use_gpu=for_gpu,
        )
        if fp16:
            model.convert_float_to_float16(keep_io_types=True)
        path = os.path.join(work, f"model_{suffix}.onnx")
        model.save_model_to_file(path)
        return path, f"onnxruntime.transformers.optimizer (optimum failed: {type(exc).__name__}: {exc})"


def ffn_output_matmuls(path: str) -> list[str]:
    """The FFN down-projections (`.../layer.N/output/dense/MatMul`): their input is the GELU
    output, long-tailed, which per-tensor dynamic int8 represents badly. Measured on a fine-tuned
    multilingual-e5-small over 999 native comments: all-int8 agreed with fp32 on 95.9 %, with
    these kept in fp32 on 98.6 %."""
    import onnx

    graph = onnx.load(path, load_external_data=False).graph
    return [
        n.name
        for n in graph.node
        if n.op_type == "MatMul" and "/output/dense/" in n.name and "/attention/" not in n.name
    ]


def int8_weight_type(kernel: str):
    """Signed weights where the CPU has a u8 x s8 dot product that cannot saturate (VNNI, arm64);
    unsigned elsewhere: AVX2's vpmaddubsw saturates u8 x s8 pairs. Measured on the fine-tuned
    e5-small over 500 native dev rows (AVX2): u8 x s8 agreed with fp32 on 95.2 %, u8 x u8 on 98.2 %."""
    from onnxruntime.quantization import QuantType

    return QuantType.QInt8 if kernel in ("avx512_vnni", "arm64") else QuantType.QUInt8


def quantize_int8(work: str, config=None, mixed: bool = False, fused: bool = True) -> tuple[str, str]:
    """Dynamic int8, per-channel weights. `fused` (default): the graph is fused first (Attention,
    SkipLayerNorm, BiasGelu) and then quantized, so attention runs as one QAttention kernel instead
    of MatMuls, Transposes and a Softmax (scripts/int8_steps.py gives the measured effect); else
    optimum's quantizer on the plain export (it fails on a fused graph). `mixed` keeps the FFN
    down-projections in fp32."""
    kernel = cpu_kernel_config()
    suffix = ("quantized_mixed" if mixed else "quantized") + ("" if fused else "_unfused")
    path = os.path.join(work, f"model_{suffix}.onnx")
    reason = ""
    if fused and config is not None:
        try:
            import onnx
            from onnxruntime.quantization import quantize_dynamic

            src = os.path.join(work, "model_optimized.onnx")  # auto's ladder builds it once for all
            if not os.path.exists(src):
                src, _ = optimize(work, config)
            exclude = ffn_output_matmuls(src) if mixed else []
            quantize_dynamic(
                src,
                path,
                per_channel=True,
                weight_type=int8_weight_type(kernel),
                nodes_to_exclude=exclude,
                op_types_to_quantize=["MatMul", "Attention", "Gather"],
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
            return path, (
                f"onnxruntime quantize_dynamic on the fused graph ({kernel}, per-channel, dynamic, "
                "QAttention" + (f", {len(exclude)} FFN down-projections in fp32" if mixed else "") + ")"
            )
        except Exception as exc:  # noqa: BLE001 - recorded; the unfused path below still gives int8
            reason = f"; fused path failed: {type(exc).__name__}: {exc}"
    exclude = ffn_output_matmuls(os.path.join(work, PLAIN)) if mixed else []
    what = f"{kernel}, per-channel, dynamic" + (f", {len(exclude)} FFN down-projections in fp32" if mixed else "")
    try:
        from optimum.onnxruntime import ORTQuantizer
        from optimum.onnxruntime.configuration import AutoQuantizationConfig

        q = ORTQuantizer.from_pretrained(work, file_name=PLAIN)
        qconfig = getattr(AutoQuantizationConfig, kernel)(
            is_static=False, per_channel=True, nodes_to_exclude=exclude or None
        )
        q.quantize(save_dir=work, quantization_config=qconfig, file_suffix=suffix)
        return path, f"optimum ORTQuantizer ({what}{reason})"
    except Exception as exc:  # noqa: BLE001
        from onnxruntime.quantization import quantize_dynamic

        quantize_dynamic(
            os.path.join(work, PLAIN),
            path,
            per_channel=True,
            weight_type=int8_weight_type(kernel),
            nodes_to_exclude=exclude,
        )
        return path, f"onnxruntime quantize_dynamic ({what}; optimum failed: {type(exc).__name__}: {exc}{reason})"


# Static int8 scales are fixed at export, so a row's numbers do not depend on the rows it is batched
# with (dynamic int8 scales each batch by its own range: 3 % of 20,000 labels moved between part
# sizes). With bucketed padding (core.batching, BUCKET) the served outputs are bit-identical for any
# part size, worker count or engine.
STATIC_METHODS = ("minmax", "percentile", "entropy")


class _Calibration:
    """onnxruntime CalibrationDataReader over tokenized texts, a few rows per feed. `ragged`: each
    feed padded to its own longest row and handed over one at a time (set_range, for
    CalibStridedMinMax), so histogram calibration holds one feed's activations instead of all of
    them; else every feed padded to the longest row of all (one shape, as MinMax was measured)."""

    def __init__(self, encoder, texts: list[str], input_names: list[str], rows: int = 16, ragged: bool = False):
        from .batching import pad

        ids, _ = encoder.encode(texts)
        if ragged:
            ids = sorted(ids, key=len)  # feeds of similar lengths: little padding
        else:
            width = max(len(x) for x in ids)
            ids = [x + [encoder.pad_id] * (width - len(x)) if len(x) < width else x for x in ids]
        self.feeds = []
        for start in range(0, len(ids) - rows + 1, rows):
            input_ids, mask = pad(ids, np.arange(start, start + rows), encoder.pad_id)
            if not ragged and encoder.pad_id is not None:
                mask = (input_ids != encoder.pad_id).astype(np.int64)
            feed = {"input_ids": input_ids, "attention_mask": mask}
            if "token_type_ids" in input_names:
                feed["token_type_ids"] = np.zeros_like(input_ids)
            self.feeds.append({k: v for k, v in feed.items() if k in input_names})
        self.set_range(0, len(self.feeds))

    def __len__(self) -> int:
        return len(self.feeds)

    def set_range(self, start_index: int, end_index: int) -> None:
        self._it = iter(self.feeds[start_index:end_index])

    def get_next(self):
        return next(self._it, None)

    def rewind(self):
        self.set_range(0, len(self.feeds))


def quantize_static_int8(
    work: str, encoder, texts: list[str], method: str = "minmax", mixed: bool = True
) -> tuple[str, str]:
    """QDQ static int8 of the MatMuls (per-channel weights, activation ranges calibrated on `texts`);
    `mixed` keeps the FFN down-projections in fp32 as int8-mixed does."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    plain = os.path.join(work, PLAIN)
    pre = os.path.join(work, "model_preprocessed.onnx")
    if not os.path.exists(pre):
        quant_pre_process(plain, pre, skip_symbolic_shape=True)
    names = [i.name for i in onnx.load(pre, load_external_data=False).graph.input]
    exclude = ffn_output_matmuls(plain) if mixed else []
    path = os.path.join(work, f"model_static_{method}.onnx")
    calib = {
        "minmax": CalibrationMethod.MinMax,
        "percentile": CalibrationMethod.Percentile,
        "entropy": CalibrationMethod.Entropy,
    }[method]
    # onnxruntime's histogram calibrators keep every activation of every feed until the end
    # (CalibMaxIntermediateOutputs is ignored by them in 1.32): 500 rows of e5-small padded to one
    # width went past 23 GB and were OOM-killed twice. Collected one feed at a time
    # (CalibStridedMinMax=1), each padded to its own length, only the histograms stay.
    extra = {"CalibPercentile": 99.99} if method == "percentile" else {}
    ragged = method != "minmax"
    if ragged:
        extra["CalibStridedMinMax"] = 1
    quantize_static(
        pre,
        path,
        _Calibration(encoder, texts, names, ragged=ragged),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["MatMul"],
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=calib,
        nodes_to_exclude=exclude,
        extra_options=extra | {"ActivationSymmetric": False, "WeightSymmetric": True},
    )
    what = f"QDQ static, {method} calibration on {len(texts)} gate rows, per-channel" + (
        f", {len(exclude)} FFN down-projections in fp32" if mixed else ""
    )
    return path, f"onnxruntime quantize_static ({what})"


def quantize_weights_int8(work: str) -> tuple[str, str]:
    """Weight-only int8 (export/weight_only.py): the per-channel int8 weights of dynamic int8 on the
    plain graph, served as DequantizeLinear -> MatMul, so no activation is quantized per batch."""
    import onnx

    from ..export.weight_only import from_dynamic_int8

    src, tool = quantize_int8(work, None, mixed=False, fused=False)
    path = os.path.join(work, "model_int8_weights.onnx")
    onnx.save(from_dynamic_int8(onnx.load(src)), path)
    return path, f"weight-only int8 (W8A32): {tool}, activations unquantized"


def _ort_model_type(config) -> str:
    t = config.model_type
    return "bert" if t in ("bert", "roberta", "xlm-roberta", "electra", "camembert") else t


def build(
    precision: str, work: str, config, encoder=None, texts: list[str] | None = None, static_method: str = "minmax"
) -> tuple[str, str]:
    if precision == "fp32":
        return os.path.join(work, PLAIN), "optimum main_export"
    if precision == "optimized":
        return optimize(work, config)
    if precision == "int8":
        return quantize_int8(work, config)
    if precision == "int8-mixed":
        return quantize_int8(work, config, mixed=True)
    if precision == "fp16":
        return optimize(work, config, for_gpu=True, fp16=True)
    if precision == "int8-static":
        return quantize_static_int8(work, encoder, texts or [], static_method)
    if precision == "int8-weights":
        return quantize_weights_int8(work)
    raise ValueError(f"unknown precision {precision!r}")


def copy_model_file(src: str, bundle_dir: str) -> str:
    dst = os.path.join(bundle_dir, "model.onnx")
    shutil.copyfile(src, dst)
    return dst
