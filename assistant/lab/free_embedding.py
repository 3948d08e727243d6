"""An embedder that costs nothing, for benchmarks of the stores: a text's vector is a hash of it,
so that only the store's own work is timed."""

from __future__ import annotations

import hashlib

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

DIMENSION = 384
IDENTITY = {"embed_model": "bench/free-hashing", "query_prefix": "", "passage_prefix": ""}


class FreeEmbedding(BaseEmbedding):
    """A text's vector is a hash of it (no model); questions registered with `ask` get the vector
    given, so that a benchmark can search near its stored vectors."""

    _asked: dict = PrivateAttr(default_factory=dict)

    def __init__(self, **kwargs) -> None:
        super().__init__(model_name=IDENTITY["embed_model"], **kwargs)

    def ask(self, questions: dict[str, np.ndarray]) -> None:
        self._asked.update(questions)

    def _vector(self, text: str) -> list[float]:
        if text in self._asked:
            return self._asked[text].tolist()
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        vector = np.random.default_rng(seed).standard_normal(DIMENSION).astype(np.float32)
        return (vector / np.linalg.norm(vector)).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)
