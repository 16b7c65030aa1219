"""CUDA paths (marked `cuda`; skipped without a GPU, run by scripts/gpu.sh on a lent machine):
the torch fp16 backend and an fp16 ONNX bundle on the CUDA execution provider agree with the fp32
CPU answers on real comments."""

import numpy as np
import pyarrow.parquet as pq
import pytest

from emopulse.core.schema import LABELS, prob_cols

from ..conftest import comments
from ..serve_batch.helpers import read_output, serve

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]


@pytest.fixture(scope="module")
def inp(tmp_path_factory):
    path = tmp_path_factory.mktemp("cuda") / "in.parquet"
    pq.write_table(comments(2000, offset=30000), path)
    return str(path)


def _agree(a, b):
    ta, tb = read_output(a).sort_by("id"), read_output(b).sort_by("id")
    pa_, pb = np.array(ta.select(prob_cols(LABELS))), np.array(tb.select(prob_cols(LABELS)))
    ok = ~np.isnan(pa_).any(1)
    return (pa_[ok].argmax(1) == pb[ok].argmax(1)).mean(), np.abs(pa_[ok] - pb[ok]).max()


def test_torch_fp16_on_cuda_agrees_with_cpu(tiny_model, inp, tmp_path):
    serve(tiny_model, [inp], tmp_path / "cpu", device="cpu")
    serve(tiny_model, [inp], tmp_path / "gpu", device="cuda", dtype="fp16")
    agreement, diff = _agree(tmp_path / "cpu", tmp_path / "gpu")
    assert agreement >= 0.98 and diff < 0.05, (agreement, diff)


def test_onnx_fp16_bundle_on_cuda_ep_agrees_with_cpu(tiny_model, inp, tmp_path):
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("onnxruntime without the CUDA execution provider (install onnxruntime-gpu)")
    from emopulse.export import ExportArgs, run

    m = run(
        ExportArgs(
            model=tiny_model, output=str(tmp_path / "fp16"), precision="fp16", device="cuda", max_length=64, force=True
        )
    )
    assert m["gate"]["device"] == "cuda"
    serve(tiny_model, [inp], tmp_path / "cpu", device="cpu")
    serve(str(tmp_path / "fp16"), [inp], tmp_path / "gpu", device="cuda")
    agreement, diff = _agree(tmp_path / "cpu", tmp_path / "gpu")
    assert agreement >= 0.98 and diff < 0.05, (agreement, diff)
