import os

import pytest

os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # engine in-process: starts in seconds
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")


@pytest.fixture(scope="session")
def tiny_gemma(tmp_path_factory) -> str:
    from emopulse.testing.gemma import build_tiny_gemma

    return build_tiny_gemma(str(tmp_path_factory.mktemp("tiny-gemma")))


@pytest.fixture(scope="session")
def vllm_backend(tiny_gemma, tmp_path_factory):
    pytest.importorskip("vllm")
    from emopulse.core.schema import LABELS
    from emopulse.label.vllm_backend import VllmBackend

    return VllmBackend(
        tiny_gemma, LABELS, enforce_eager=True, max_model_len=1024, cache_dir=str(tmp_path_factory.mktemp("vllm-cache"))
    )
