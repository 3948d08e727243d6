"""The examples the evidence model learns from: each question of a QA split retrieved by the
product's own pipeline over an index of the split's corpus, with the passages the evidence
stage would be given (in the fused order it is given them), and the e5 vectors of the question
and of the passages' sentences kept on disk so that trying features costs no embedding.

Training and measuring both read these, so a figure from here is the product's figure: same
ingestion, same retrieval, same sentence splitter, same cosines."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..answering import Query, last
from ..text import split_sentences
from ..types import Article, Passage
from .data import Question

# (question, sentences) -> cosines: the product's `Cosines.relevance`
Relevance = Callable[[str, list[str]], list[float]]


@dataclass(frozen=True)
class Example:
    """One answerable question and the passages the evidence stage would read, best first."""

    id: str
    question: str
    answers: tuple[str, ...]
    context_id: str | None
    passages: tuple[Passage, ...]

    def to_dict(self) -> dict:
        return {**asdict(self), "passages": [asdict(p) for p in self.passages]}

    @classmethod
    def from_dict(cls, record: dict) -> Example:
        passages = tuple(Passage(**p) for p in record["passages"])
        return cls(record["id"], record["question"], tuple(record["answers"]), record["context_id"], passages)


class VectorCache:
    """e5 vectors of questions (as queries) and sentences (as passages), kept in one .npz file
    per model so that a second run over the same split embeds nothing."""

    def __init__(self, model, path: Path | None) -> None:
        self._model, self._path = model, path
        self._vectors: dict[str, np.ndarray] = {}
        if path is not None and path.is_file():
            with np.load(path) as stored:
                self._vectors = dict(zip(stored["keys"].tolist(), stored["vectors"]))
        self._added = 0

    def relevance(self, question: str, sentences: list[str]) -> list[float]:
        """What `Cosines.relevance` computes, from kept vectors where there are."""
        query = self._get("q", [question], self._model.get_query_embedding)[0]
        return (self._get("p", sentences, self._model.get_text_embedding) @ query).tolist() if sentences else []

    def _get(self, side: str, texts: list[str], embed: Callable[[str], list[float]]) -> np.ndarray:
        keys = [f"{side}:{hashlib.sha1(text.encode()).hexdigest()}" for text in texts]
        missing = [(key, text) for key, text in dict(zip(keys, texts)).items() if key not in self._vectors]
        if missing and side == "p":
            vectors = self._model.get_text_embedding_batch([text for _, text in missing])
        else:
            vectors = [embed(text) for _, text in missing]
        for (key, _), vector in zip(missing, vectors):
            self._vectors[key] = np.asarray(vector, dtype="float32")
        self._added += len(missing)
        if self._added >= 500:
            self.save()
        return np.stack([self._vectors[key] for key in keys])

    def save(self) -> None:
        if self._path is None or not self._added:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._vectors)
        partial = self._path.with_suffix(".tmp.npz")
        np.savez(partial, keys=np.array(keys), vectors=np.stack([self._vectors[k] for k in keys]))
        partial.replace(self._path)
        self._added = 0


def retrieve_examples(
    questions: list[Question], corpus: list[Article], index_dir: Path | None = None, progress: bool = True, embedding=None, **settings
) -> list[Example]:
    """The answerable `questions`, each with the passages retrieval gives the evidence stage.

    Args:
        questions: the split's questions (probes are skipped: they have no sentence to find).
        corpus: the split's paragraphs, indexed by the product's ingestion.
        index_dir: keep the index there (reused when unchanged); temporary when None.
        progress: show progress bars.
        embedding: the embedding model (the one the settings name when None).
        **settings: `Settings` fields (top_k, embed_model, ...).
    """
    from tqdm import tqdm

    from ..api import Assistant
    from ..config import Settings

    folder = Path(tempfile.mkdtemp(prefix="assistant-evidence-")) if index_dir is None else Path(index_dir)
    try:
        # Stopped before the evidence stage: the model being trained need not exist yet.
        config = Settings.from_env(index_dir=folder, **{"evidence_model": "cosine", **settings})
        assistant = Assistant(config, embed_model=embedding)
        assistant.ingest_articles(corpus, progress=progress)
        examples = []
        for q in tqdm([q for q in questions if q.answerable], desc="Retrieving", unit="q", disable=not progress):
            # up to the passage gate: the passages in the order the evidence stage receives them
            answer = last(assistant.pipeline.stream(Query(q.question), until="passage_gate", enforce=False))
            examples.append(Example(q.id, q.question, q.answers, q.context_id, tuple(answer.passages)))
    finally:
        if index_dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    return examples


def embed_sentences(examples: list[Example], cache: VectorCache, progress: bool = True, pool: int = 5) -> None:
    """Embed each question and the sentences of its first `pool` passages into the cache."""
    from tqdm import tqdm

    for example in tqdm(examples, desc="Embedding sentences", unit="q", disable=not progress):
        texts = [p.text[s:e] for p in example.passages[:pool] for s, e in split_sentences(p.text)]
        cache.relevance(example.question, texts)
    cache.save()


def save_examples(examples: list[Example], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in examples), encoding="utf-8")


def load_examples(path: Path) -> list[Example]:
    return [Example.from_dict(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
