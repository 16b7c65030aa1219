"""A local `.gguf` file as --model: dequantized once into a Hugging Face directory (config, safetensors
weights, the tokenizer and chat template read from the GGUF), which every backend then loads.

vLLM 0.32 has no GGUF loader of its own (it moved to vllm-gguf-plugin, whose kernels need CUDA), so
on the CPU a GGUF file is unpacked with transformers (`from_pretrained(..., gguf_file=...)`, which
needs the `gguf` and `accelerate` packages: `make install-llm` installs them). The directory is
cached by the file's sha256 under ~/.cache/emopulse/gguf (XDG_CACHE_HOME), so a file is converted
once: about a minute and twice to four times the file's size on disk (bfloat16) for a 0.5B model.
"""

from __future__ import annotations

import os
import shutil

from ..core.errors import BundleError


def is_gguf(model: str | None) -> bool:
    return bool(model) and model.lower().endswith(".gguf") and os.path.isfile(model)


def cache_root() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "emopulse", "gguf")


def gguf_to_hf(path: str, tokenizer: str | None = None, root: str | None = None, log=None) -> str:
    """The HF directory holding `path`'s weights, dequantized to bfloat16 (converted on first use).
    `tokenizer`: a tokenizer directory to use instead of the one in the GGUF file."""
    from ..core.fingerprint import sha256_cached

    try:
        import accelerate  # noqa: F401  (transformers refuses GGUF loading without it)
        import gguf  # noqa: F401
    except ImportError as exc:
        raise BundleError(
            f"{path}: loading a GGUF file needs the gguf and accelerate packages in the LLM environment "
            f"({exc.name} is missing): make install-llm, or pip install gguf accelerate"
        ) from exc
    digest = sha256_cached(path)
    out = os.path.join(root or cache_root(), digest[:16] + ("-tok-" + _tag(tokenizer) if tokenizer else ""))
    if os.path.isfile(os.path.join(out, "config.json")):
        return out
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = os.path.split(os.path.abspath(path))
    (log or print)(f"{path}: dequantizing the GGUF weights into {out} (once per file)")
    try:
        tok = (
            AutoTokenizer.from_pretrained(tokenizer)
            if tokenizer
            else AutoTokenizer.from_pretrained(folder, gguf_file=name)
        )
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.bfloat16)
    except (ValueError, KeyError, OSError, RuntimeError) as exc:
        raise BundleError(f"{path}: transformers cannot read this GGUF file ({exc})") from exc
    # the weights are plain tensors now: drop the GGUF quantizer so the model saves as safetensors
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = f"{out}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)  # whole or absent: a killed conversion leaves no half directory behind
    return out


def _tag(tokenizer: str) -> str:
    import hashlib

    return hashlib.sha256(os.path.abspath(tokenizer).encode()).hexdigest()[:8]
