"""Weight-only int8 (W8A32): int8 weights on disk, fp32 arithmetic at run time.

Dynamic int8 quantizes each batch's activations with one scale for the whole batch, so a row's
probabilities depend on the rows it is batched with (18-21 of 1,000 labels moved between a 1,000-row
and a 5,000-row run of the shipped model). Here only the weights are int8 — standard
DequantizeLinear -> MatMul (QDQ) — and ONNX Runtime folds each DequantizeLinear into an fp32
initializer when the session loads (`session.disable_quant_qdq`, set by the ONNX backend for this
precision), so every row is computed in fp32 from the same weights; with bucketed padding
(core.batching) its outputs are bit-identical whatever its batch-mates. The file stays the size of an
int8 one.

`from_dynamic_int8` rewrites a dynamic-int8 graph (onnxruntime/optimum `MatMulInteger` format) keeping
its weights' exact int8 values, scales and zero points: the served weights are the int8 model's own.
"""

from __future__ import annotations

import onnx
from onnx import helper

PRECISION = "int8-weights"
_FUSED_QUANTIZED = {"QAttention", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "QGemm", "QEmbedLayerNormalization"}


def from_dynamic_int8(model: onnx.ModelProto) -> onnx.ModelProto:
    """Every `DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul(scales)` becomes an fp32 MatMul:
    of the activation itself, and of an int8 weight through DequantizeLinear (per-column scale and
    zero point, axis 1) or of the second activation (attention). Raises ValueError on a pattern it
    does not know, so a graph is never half converted."""
    g = model.graph
    fused = sorted({n.op_type for n in g.node} & _FUSED_QUANTIZED)
    if fused:
        raise ValueError(
            f"the graph holds fused quantized operators ({', '.join(fused)}): convert the plain "
            "(unfused) dynamic int8 graph"
        )
    producer = {o: n for n in g.node for o in n.output}
    consumers: dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    inits = {i.name for i in g.initializer}
    drop, add = set(), []
    for m in [n for n in g.node if n.op_type == "MatMulInteger"]:
        a_q, b_q, _, b_zp = (list(m.input) + [None] * 4)[:4]
        dql_a = producer.get(a_q)
        cast = (consumers.get(m.output[0]) or [None])[0]
        mul = (consumers.get(cast.output[0]) or [None])[0] if cast is not None else None
        if (
            dql_a is None
            or dql_a.op_type != "DynamicQuantizeLinear"
            or cast is None
            or cast.op_type != "Cast"
            or mul is None
            or mul.op_type != "Mul"
        ):
            raise ValueError(f"{m.name}: not the DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul pattern")
        scales = producer.get(next(i for i in mul.input if i != cast.output[0]))
        if b_q in inits:
            w_scale = next((i for i in (scales.input if scales is not None else []) if i in inits), None)
            if w_scale is None or b_zp not in inits:
                raise ValueError(f"{m.name}: the weight's scale or zero point is not a constant")
            b = f"{b_q}_dequantized"
            add.append(
                helper.make_node("DequantizeLinear", [b_q, w_scale, b_zp], [b], name=f"{m.name}_weight_dq", axis=1)
            )
        else:
            dql_b = producer.get(b_q)
            if dql_b is None or dql_b.op_type != "DynamicQuantizeLinear":
                raise ValueError(f"{m.name}: second input is neither a weight nor a quantized activation")
            b = dql_b.input[0]
        add.append(helper.make_node("MatMul", [dql_a.input[0], b], [mul.output[0]], name=m.name.replace("_quant", "")))
        drop |= {id(m), id(cast), id(mul)}
    nodes = [n for n in g.node if id(n) not in drop] + add
    del g.node[:]
    g.node.extend(_topological(_live(nodes, [o.name for o in g.output]), {i.name for i in g.input} | inits))
    used = {i for n in g.node for i in n.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    if any(n.op_type == "DynamicQuantizeLinear" for n in g.node):
        raise ValueError("an activation quantizer is left that no MatMulInteger pattern explained")
    onnx.checker.check_model(model)
    return model


def _live(nodes: list, outputs: list[str]) -> list:
    """The nodes the graph outputs depend on (the orphaned activation quantizers go)."""
    producer = {o: n for n in nodes for o in n.output}
    need, seen, stack = set(), set(), list(outputs)
    while stack:
        name = stack.pop()
        n = producer.get(name)
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        need.add(id(n))
        stack.extend(i for i in n.input if i)
    return [n for n in nodes if id(n) in need]


def _topological(nodes: list, available: set[str]) -> list:
    done, out, pending = set(available), [], list(nodes)
    while pending:
        rest = []
        for n in pending:
            if all((not i) or i in done for i in n.input):
                out.append(n)
                done.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            raise ValueError("the rewritten graph has a cycle or a missing input")
        pending = rest
    return out
