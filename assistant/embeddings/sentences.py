"""Cosines between a question and the sentences of the passages it retrieved, with the sentences'
vectors kept for the next questions."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding


class SentenceVectors:
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


class Cosines:
    """The two similarities the answering stages ask for, both read from kept vectors.

    `relevance(question, sentences)`: the question embedded as a query against sentences embedded
    as passages (ordering passages and choosing evidence both ask, so the last question's vector
    is kept). `similarity(sentence, texts)`: an answer sentence against texts, both as passages
    (the cross-lingual support check)."""

    def __init__(self, model: BaseEmbedding) -> None:
        self._model = model
        self._sentences = SentenceVectors(model)
        self._last_query: tuple[str, np.ndarray | None] = ("", None)

    def relevance(self, question: str, sentences: list[str]) -> list[float]:
        last, vector = self._last_query  # one read: another thread may start a new question
        if last != question or vector is None:
            vector = np.asarray(self._model.get_query_embedding(question), dtype="float32")
            self._last_query = (question, vector)
        return self._against(vector, sentences)

    def similarity(self, sentence: str, texts: list[str]) -> list[float]:
        return self._against(np.asarray(self._model.get_text_embedding(sentence), dtype="float32"), texts)

    def vectors(self, texts: list[str]) -> np.ndarray:
        """The texts' passage-side vectors (kept), one row each."""
        return self._sentences(texts)

    def _against(self, vector: np.ndarray, texts: list[str]) -> list[float]:
        return (self._sentences(texts) @ vector).tolist() if texts else []
