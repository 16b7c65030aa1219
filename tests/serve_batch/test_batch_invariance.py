"""One text, one answer: int8-weights (the shipped precision), int8-static and fp32 give bit-identical
probabilities whatever the part size, worker count, host threads, token budget or engine; dynamic int8
is shown not to be, so the test can fail."""

import numpy as np
import pyarrow.parquet as pq
import pytest

from emopulse.core.schema import LABELS, prob_cols

from ..conftest import comments
from .helpers import read_output, serve


@pytest.fixture(scope="module")
def static_bundle(tiny_model, tmp_path_factory):
    from emopulse.export import ExportArgs, run

    out = str(tmp_path_factory.mktemp("static") / "bundle")
    # the tiny random model's probabilities are nearly flat: the gate's agreement means nothing here
    m = run(ExportArgs(model=tiny_model, output=out, precision="int8-static", max_length=64, force=True))
    assert m["precision"] == "int8-static" and "QDQ static" in m["tool"]
    return out


def _probs(out):
    t = read_output(out).sort_by("id")
    return t["id"].to_pylist(), np.array(t.select(prob_cols(LABELS)))


@pytest.fixture(scope="module")
def inp(tmp_path_factory):
    path = tmp_path_factory.mktemp("inv") / "in.parquet"
    pq.write_table(comments(1500, offset=20000), path)
    return str(path)


@pytest.fixture(scope="module")
def weights_bundle(tiny_model, tmp_path_factory):
    from emopulse.export import ExportArgs, run

    out = str(tmp_path_factory.mktemp("w8") / "bundle")
    m = run(ExportArgs(model=tiny_model, output=out, precision="int8-weights", max_length=64, force=True))
    assert m["precision"] == "int8-weights" and "weight-only" in m["tool"]
    return out


def _assert_invariant(bundle, inp, tmp_path):
    serve(bundle, [inp], tmp_path / "a", rows_per_part=100, host_workers=1)
    ids, ref = _probs(tmp_path / "a")
    for name, kw in {
        "big-parts": dict(rows_per_part=1500),
        "2-workers": dict(rows_per_part=300, workers=2),
        "small-budget": dict(rows_per_part=1500, max_batch_tokens=256, max_batch_rows=8),
        "2-host-threads": dict(rows_per_part=700, host_workers=2),
    }.items():
        serve(bundle, [inp], tmp_path / name, **kw)
        got_ids, got = _probs(tmp_path / name)
        assert got_ids == ids
        assert np.array_equal(got, ref, equal_nan=True), f"{name}: max diff {np.nanmax(np.abs(got - ref))}"


def test_int8_weights_is_bit_identical_across_part_sizes_workers_and_budgets(weights_bundle, inp, tmp_path):
    _assert_invariant(weights_bundle, inp, tmp_path)


def test_int8_static_is_bit_identical_across_part_sizes_workers_and_budgets(static_bundle, inp, tmp_path):
    _assert_invariant(static_bundle, inp, tmp_path)


def test_int8_weights_local_equals_ray(weights_bundle, inp, tmp_path):
    pytest.importorskip("ray")
    serve(weights_bundle, [inp], tmp_path / "local", rows_per_part=1500)
    serve(weights_bundle, [inp], tmp_path / "ray", rows_per_part=250, engine="ray", workers=2)
    assert np.array_equal(_probs(tmp_path / "local")[1], _probs(tmp_path / "ray")[1], equal_nan=True)


def test_weight_only_graph_keeps_the_int8_weights_and_quantizes_no_activation(weights_bundle, tiny_model, tmp_path):
    """int8-weights: no activation quantizer left, the weights stay int8 (not an fp32 file); a fused
    dynamic int8 graph (QAttention) is refused rather than half converted."""
    import onnx

    from emopulse.export import ExportArgs, run
    from emopulse.export.weight_only import from_dynamic_int8

    w8 = onnx.load(f"{weights_bundle}/model.onnx")
    ops = {n.op_type for n in w8.graph.node}
    assert not ops & {"DynamicQuantizeLinear", "MatMulInteger"} and "DequantizeLinear" in ops
    assert any(
        i.data_type in (onnx.TensorProto.UINT8, onnx.TensorProto.INT8) and len(i.dims) == 2
        for i in w8.graph.initializer
    )
    run(ExportArgs(model=tiny_model, output=str(tmp_path / "dyn"), precision="int8", max_length=64, force=True))
    dyn = onnx.load(str(tmp_path / "dyn" / "model.onnx"))
    if {n.op_type for n in dyn.graph.node} & {"QAttention", "DynamicQuantizeMatMul"}:
        with pytest.raises(ValueError, match="fused quantized"):
            from_dynamic_int8(dyn)


def test_dynamic_int8_is_not_batch_invariant(tiny_model, inp, tmp_path):
    """The contrast that makes the test above meaningful: dynamic scales follow the batch."""
    from emopulse.export import ExportArgs, run

    run(ExportArgs(model=tiny_model, output=str(tmp_path / "dyn"), precision="int8", max_length=64, force=True))
    serve(str(tmp_path / "dyn"), [inp], tmp_path / "a", rows_per_part=100)
    serve(str(tmp_path / "dyn"), [inp], tmp_path / "b", rows_per_part=1500, max_batch_tokens=256, max_batch_rows=8)
    assert not np.array_equal(_probs(tmp_path / "a")[1], _probs(tmp_path / "b")[1], equal_nan=True)


@pytest.mark.parametrize("method", ["percentile", "entropy"])
def test_histogram_calibration_feeds_one_batch_at_a_time(tiny_model, tmp_path, method):
    """percentile / entropy: onnxruntime keeps every feed's activations unless they are handed over
    one feed at a time (a real e5-small run went past 23 GB). The reader must serve each feed once
    and the bundle must come out quantized with its method."""
    import onnx

    from emopulse.core.bundle import load_encoder
    from emopulse.core.convert import _Calibration
    from emopulse.export import ExportArgs, run

    reader = _Calibration(
        load_encoder(tiny_model, 64),
        list(comments(64)["text"].to_pylist()),
        ["input_ids", "attention_mask"],
        rows=16,
        ragged=True,
    )
    assert len(reader) == 4
    widths = [f["input_ids"].shape[1] for f in reader.feeds]
    assert widths == sorted(widths) and widths[0] < widths[-1]  # each feed padded to its own rows
    reader.set_range(1, 2)
    assert reader.get_next() is reader.feeds[1] and reader.get_next() is None
    out = str(tmp_path / method)
    m = run(
        ExportArgs(
            model=tiny_model, output=out, precision="int8-static", static_method=method, max_length=64, force=True
        )
    )
    assert method in m["tool"]
    assert any(n.op_type == "QuantizeLinear" for n in onnx.load(f"{out}/model.onnx").graph.node)
