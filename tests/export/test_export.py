import json
import os
import shutil

import numpy as np
import onnx
import pyarrow.parquet as pq
import pytest
from onnx import numpy_helper

from emopulse.core.bundle import load_bundle
from emopulse.core.errors import BundleError, OutputError
from emopulse.export import ExportArgs, run
from emopulse.export.gate import gate_sample, run_gate
from emopulse.export.run import GateRefused

from ..serve_batch.helpers import read_output, reference_probs, serve


@pytest.fixture(scope="session")
def bundles(tiny_model, tmp_path_factory):
    root = tmp_path_factory.mktemp("bundles")
    out = {}
    for precision in ("fp32", "optimized", "int8"):
        out[precision] = run(
            ExportArgs(model=tiny_model, output=str(root / precision), precision=precision, force=True, gate_rows=256)
        )
    return root, out


@pytest.mark.parametrize("precision", ["fp32", "optimized"])
def test_exact_precisions_agree_with_pytorch(bundles, precision):
    root, manifests = bundles
    gate = manifests[precision]["gate"]
    assert gate["max_abs_diff"] < 1e-4 and gate["agreement"] == 1.0
    assert manifests[precision]["ready"] and not manifests[precision]["forced"]
    assert os.path.exists(root / precision / "tokenizer.json")
    assert json.load(open(root / precision / "config.json"))["id2label"]["0"] == "anger"


def test_int8_is_quantized_and_close(bundles):
    root, manifests = bundles
    m = onnx.load(str(root / "int8" / "model.onnx"))
    assert any(n.op_type in ("MatMulInteger", "DynamicQuantizeLinear", "QLinearMatMul") for n in m.graph.node)
    assert manifests["int8"]["gate"]["agreement"] > 0.8  # a random tiny model: near-uniform probabilities
    assert "per-channel" in manifests["int8"]["tool"] or "quantize_dynamic" in manifests["int8"]["tool"]


def test_int8_is_quantized_after_fusion_with_the_cpus_weight_type(bundles):
    """Attention runs as one QAttention kernel; weights are u8 where u8 x s8 could saturate (AVX2)."""
    from emopulse.core.convert import cpu_kernel_config, int8_weight_type

    root, manifests = bundles
    assert "fused graph" in manifests["int8"]["tool"]
    g = onnx.load(str(root / "int8" / "model.onnx")).graph
    assert any(n.op_type == "QAttention" for n in g.node)
    inits = {t.name: t.data_type for t in g.initializer}
    weights = [inits[n.input[1]] for n in g.node if n.op_type == "MatMulInteger" and n.input[1] in inits]
    want = onnx.TensorProto.INT8 if int8_weight_type(cpu_kernel_config()).name == "QInt8" else onnx.TensorProto.UINT8
    assert weights and set(weights) == {want}


def test_fp16_for_cuda_is_built_and_gated(tiny_model, tmp_path):
    m = run(
        ExportArgs(
            model=tiny_model, output=str(tmp_path / "fp16"), precision="fp16", device="cuda", gate_rows=128, force=True
        )
    )
    graph = onnx.load(str(tmp_path / "fp16" / "model.onnx"))
    assert any(t.data_type == onnx.TensorProto.FLOAT16 for t in graph.graph.initializer)
    assert m["gate"]["agreement"] > 0.9
    with pytest.raises(BundleError, match="int8"):
        run(ExportArgs(model=tiny_model, output=str(tmp_path / "x"), precision="int8", device="cuda"))


def test_gate_refuses_a_damaged_model(tiny_model, bundles, tmp_path):
    root, _ = bundles
    model = onnx.load(str(root / "fp32" / "model.onnx"))
    for init in model.graph.initializer:  # scale the classifier's dense layer
        if "classifier.dense.weight" in init.name or "classifier.out_proj.weight" in init.name:
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) * -3.0, init.name))
    damaged = str(tmp_path / "damaged.onnx")
    onnx.save(model, damaged)
    bundle = load_bundle(str(root / "fp32"))
    texts, gold, _ = gate_sample(tiny_model, None, "text", "label", 256)
    good = run_gate(tiny_model, str(root / "fp32" / "model.onnx"), bundle.encoder(), bundle.labels, texts, gold)
    bad = run_gate(tiny_model, damaged, bundle.encoder(), bundle.labels, texts, gold)
    assert good["agreement"] == 1.0
    assert bad["agreement"] < 0.9


def test_refused_gate_leaves_an_unready_bundle_that_serving_refuses(tiny_model, comments_file, tmp_path):
    with pytest.raises(GateRefused):
        run(ExportArgs(model=tiny_model, output=str(tmp_path / "b"), precision="int8", max_abs_diff=0.0, gate_rows=64))
    assert json.load(open(tmp_path / "b" / "manifest.json"))["ready"] is False
    with pytest.raises(BundleError, match="not marked ready"):
        serve(str(tmp_path / "b"), [comments_file], tmp_path / "out")


def test_serve_batch_on_a_bundle_matches_pytorch(bundles, tiny_model, comments_file, tmp_path):
    root, _ = bundles
    summary = serve(str(root / "optimized"), [comments_file], tmp_path / "out")
    out = read_output(tmp_path / "out").to_pandas()
    ok = out["status"] == "ok"
    texts = pq.read_table(comments_file).column("text").to_pylist()
    ref = reference_probs(tiny_model, [t for t, k in zip(texts, ok) if k], summary["this_invocation"]["max_length"])
    assert summary["this_invocation"]["precision"] == "optimized"
    assert (
        out.loc[ok, "label"].to_numpy() == np.array(["anger", "sadness", "happiness", "neutral"])[ref.argmax(1)]
    ).all()


def test_bad_checkpoints_and_outputs(tiny_model, bundles, tmp_path):
    from transformers import RobertaConfig, RobertaModel

    base = tmp_path / "base"
    RobertaModel(
        RobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16)
    ).save_pretrained(base)
    with pytest.raises(BundleError, match="not a sequence-classification"):
        run(ExportArgs(model=str(base), output=str(tmp_path / "o")))
    generic = tmp_path / "generic"
    shutil.copytree(tiny_model, generic)
    cfg = json.load(open(generic / "config.json"))
    cfg["id2label"] = {str(i): f"LABEL_{i}" for i in range(4)}
    json.dump(cfg, open(generic / "config.json", "w"))
    with pytest.raises(BundleError, match="id2label"):
        run(ExportArgs(model=str(generic), output=str(tmp_path / "o")))
    root, _ = bundles
    with pytest.raises(OutputError, match="--overwrite"):
        run(ExportArgs(model=tiny_model, output=str(root / "fp32")))
    with pytest.raises(BundleError, match="config.json"):
        run(ExportArgs(model=str(tmp_path / "nothing"), output=str(tmp_path / "o")))
    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o500)
    if os.access(ro, os.W_OK):  # root ignores permission bits; use a path under a file instead
        blocker = tmp_path / "file"
        blocker.write_text("x")
        target = str(blocker / "bundle")
    else:
        target = str(ro / "bundle")
    with pytest.raises(OutputError, match="cannot"):
        run(ExportArgs(model=tiny_model, output=target))


def test_killed_exports_leave_no_work_dirs_and_replacement_is_atomic(tiny_model, bundles, tmp_path):
    import subprocess
    import sys

    target = tmp_path / "bundle"
    src = bundles[0] / "fp32"
    shutil.copytree(src, target)
    # a killed export: its work dir (dead pid) holds the previous bundle it had moved aside
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    work = tmp_path / f".emopulse-export-{dead.stdout.strip()}-x"
    work.mkdir()
    (work / "target").write_text(str(target))
    os.replace(target, work / "previous")
    run(ExportArgs(model=tiny_model, output=str(tmp_path / "other"), precision="fp32"))
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".emopulse-export-")]
    assert json.load(open(target / "manifest.json"))["ready"] is True  # put back, not lost
    m = run(ExportArgs(model=tiny_model, output=str(target), precision="fp32", overwrite=True))
    assert m["ready"] and sorted(os.listdir(target)) == sorted(os.listdir(src))


def test_manifests_name_no_build_machine_path(tiny_model, tiny_bundle):
    """source_checkpoint is relative to the bundle (bench resolves it from there); the shipped one too."""
    import emopulse.model
    from emopulse.bench.args import BenchArgs
    from emopulse.bench.measure import resolve

    m = json.load(open(os.path.join(tiny_bundle, "manifest.json")))
    assert not os.path.isabs(m["source_checkpoint"])
    assert os.path.samefile(os.path.join(tiny_bundle, m["source_checkpoint"]), tiny_model)
    assert os.path.samefile(resolve(BenchArgs(model=tiny_bundle, output="unused"))[0], tiny_model)
    shipped = json.load(open(os.path.join(os.path.dirname(emopulse.model.__file__), "manifest.json")))
    assert not os.path.isabs(shipped["source_checkpoint"]) and "/work/" not in json.dumps(shipped)
