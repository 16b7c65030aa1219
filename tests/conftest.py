import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emopulse import data

from .tiny import build_tiny_model, export_raw_onnx

# tests/llm run in the LLM environment (.venv-llm, `make test-llm`), where vLLM is installed
try:
    import vllm  # noqa: F401
except ImportError:
    collect_ignore = ["llm"]

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> str:
    return build_tiny_model(str(tmp_path_factory.mktemp("tiny-model")))


@pytest.fixture(scope="session")
def tiny_onnx(tiny_model, tmp_path_factory) -> str:
    return export_raw_onnx(tiny_model, str(tmp_path_factory.mktemp("tiny-onnx")))


def comments(n: int, offset: int = 0) -> pa.Table:
    t = pq.read_table(data.path(data.COMMENTS))
    return t.slice(offset, n)


@pytest.fixture
def comments_file(tmp_path) -> str:
    """600 real comments plus the awkward rows: null, empty, whitespace, a duplicate."""
    t = comments(600, offset=40000)
    texts = t.column("text").to_pylist()
    texts[3], texts[10], texts[11], texts[20] = None, "", "   \n", texts[5]
    t = t.set_column(t.schema.get_field_index("text"), "text", pa.array(texts, pa.large_string()))
    path = str(tmp_path / "comments.parquet")
    pq.write_table(t, path, row_group_size=128)
    return path


@pytest.fixture(scope="session")
def tiny_bundle(tiny_model, tmp_path_factory) -> str:
    """An fp32 ONNX bundle of the tiny model, through the real export and gate."""
    from emopulse.export import ExportArgs, run

    out = str(tmp_path_factory.mktemp("tiny-bundle") / "bundle")
    run(ExportArgs(model=tiny_model, output=out, precision="fp32", max_length=64))
    return out
