"""`emopulse backbone trim`: keep only the vocabulary pieces a corpus uses.

multilingual-e5-small's XLM-R vocabulary holds 250 k pieces x 384 dims: 96 M of its 118 M
parameters. Korean comments use a small fraction of them. Trimming keeps (a) the special
tokens, (b) every piece the corpus' texts tokenize into, (c) every single-character piece (so
unseen words still split into characters instead of <unk>) and (d) the lowest-scoring piece
(the Unigram model's <unk> penalty is derived from the minimum score, so keeping it keeps that
penalty). Pieces keep their scores and order, so any text whose best segmentation uses kept
pieces tokenizes to the same pieces: the model's outputs on it are identical (tested).
Unigram (SentencePiece) tokenizers only.
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np

from ..core.errors import EmopulseError, InputError


def _read_texts(paths: list[str], text_col: str, limit: int | None):
    import pyarrow.parquet as pq

    for path in paths:
        try:
            pf = pq.ParquetFile(path)
        except OSError as exc:
            raise InputError(f"{path}: cannot be read as Parquet ({exc})") from exc
        if text_col not in pf.schema_arrow.names:
            raise InputError(f"{path}: no column {text_col!r}")
        n = 0
        for batch in pf.iter_batches(batch_size=20_000, columns=[text_col]):
            texts = [t for t in batch.column(0).to_pylist() if t]
            yield texts
            n += len(texts)
            if limit and n >= limit:
                break


def used_ids(tok, paths: list[str], text_col: str = "text", limit: int | None = None) -> set[int]:
    used: set[int] = set()
    for texts in _read_texts(paths, text_col, limit):
        for enc in tok.encode_batch(texts, add_special_tokens=False):
            used.update(enc.ids)
    return used


def trim(
    model_dir: str,
    corpora: list[str],
    output: str,
    text_col: str = "text",
    limit_per_file: int | None = None,
    overwrite: bool = False,
) -> dict:
    from safetensors.numpy import load_file, save_file
    from tokenizers import Tokenizer

    tok_path = os.path.join(model_dir, "tokenizer.json")
    if not os.path.exists(tok_path):
        raise EmopulseError(f"{model_dir}: no tokenizer.json (a fast tokenizer is needed to trim)")
    if os.path.exists(output) and os.listdir(output) and not overwrite:
        raise EmopulseError(f"{output}: not empty; pass --overwrite")
    spec = json.load(open(tok_path, encoding="utf-8"))
    model = spec["model"]
    if model.get("type") != "Unigram":
        raise EmopulseError(
            f"{model_dir}: trimming supports Unigram (SentencePiece) tokenizers, not {model.get('type')}"
        )
    vocab = model["vocab"]
    tok = Tokenizer.from_file(tok_path)
    keep = used_ids(tok, corpora, text_col, limit_per_file)
    keep.update(t["id"] for t in spec.get("added_tokens", []))
    keep.add(model["unk_id"])
    keep.update(i for i, (piece, _) in enumerate(vocab) if len(piece.replace("\u2581", "")) <= 1)
    keep.add(int(np.argmin([s for _, s in vocab])))
    old_ids = np.array(sorted(i for i in keep if i < len(vocab)), dtype=np.int64)
    new_of = {int(o): n for n, o in enumerate(old_ids)}

    model["vocab"] = [vocab[i] for i in old_ids]
    model["unk_id"] = new_of[model["unk_id"]]
    for t in spec.get("added_tokens", []):
        t["id"] = new_of[t["id"]]
    _remap_post_processor(spec.get("post_processor"), new_of)

    os.makedirs(output, exist_ok=True)
    weights = os.path.join(model_dir, "model.safetensors")
    if not os.path.exists(weights):
        raise EmopulseError(f"{model_dir}: no model.safetensors")
    config = json.load(open(os.path.join(model_dir, "config.json")))
    n_old = config.get("vocab_size", len(vocab))
    tensors = load_file(weights)
    emb_keys = [k for k, v in tensors.items() if "word_embeddings" in k and v.shape[0] == n_old]
    if len(emb_keys) != 1:
        raise EmopulseError(f"{model_dir}: expected one word-embedding tensor with {n_old} rows, found {emb_keys}")
    if n_old < len(vocab):  # more rows than pieces is common (padded tables); fewer is broken
        raise EmopulseError(f"{model_dir}: config vocab_size {n_old} < tokenizer pieces {len(vocab)}")
    tensors[emb_keys[0]] = np.ascontiguousarray(tensors[emb_keys[0]][old_ids])
    save_file(tensors, os.path.join(output, "model.safetensors"), metadata={"format": "pt"})
    config["vocab_size"] = len(old_ids)
    if config.get("pad_token_id") is not None:
        config["pad_token_id"] = new_of[config["pad_token_id"]]
    for key in ("bos_token_id", "eos_token_id"):
        if config.get(key) is not None and config[key] in new_of:
            config[key] = new_of[config[key]]
    json.dump(config, open(os.path.join(output, "config.json"), "w"), indent=2)
    json.dump(spec, open(os.path.join(output, "tokenizer.json"), "w", encoding="utf-8"), ensure_ascii=False)
    tcfg_path = os.path.join(model_dir, "tokenizer_config.json")
    if os.path.exists(tcfg_path):
        tcfg = json.load(open(tcfg_path, encoding="utf-8"))
        if "added_tokens_decoder" in tcfg:
            tcfg["added_tokens_decoder"] = {str(new_of[int(k)]): v for k, v in tcfg["added_tokens_decoder"].items()}
        json.dump(
            tcfg,
            open(os.path.join(output, "tokenizer_config.json"), "w", encoding="utf-8"),
            indent=2,
            ensure_ascii=False,
        )
    for name in ("special_tokens_map.json", "metrics.json", "eval_sample.parquet", "README.md"):
        if os.path.exists(os.path.join(model_dir, name)):
            shutil.copy(os.path.join(model_dir, name), os.path.join(output, name))
    report = {
        "source": os.path.abspath(model_dir),
        "corpora": corpora,
        "pieces_before": len(vocab),
        "pieces_after": len(old_ids),
    }
    np.save(os.path.join(output, "trim_old_ids.npy"), old_ids)  # the map back, for checks (not a pickle)
    json.dump(report, open(os.path.join(output, "trim.json"), "w"), indent=2)
    return report


def _remap_post_processor(pp, new_of: dict[int, int]) -> None:
    if not pp:
        return
    if pp.get("type") == "Sequence":
        for sub in pp.get("processors", []):
            _remap_post_processor(sub, new_of)
        return
    specials = pp.get("special_tokens")
    if isinstance(specials, dict):  # TemplateProcessing
        for v in specials.values():
            v["ids"] = [new_of[i] for i in v["ids"]]
    for key in ("sep", "cls"):  # RobertaProcessing / BertProcessing: [token, id]
        if isinstance(pp.get(key), list):
            pp[key][1] = new_of[pp[key][1]]
