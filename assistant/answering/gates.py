"""Refusing before the model is asked: the question is far from every passage, or the passages
are on its topic but no sentence of them comes close to it. Both cost nothing next to a model
call, and a question they refuse is one the small models would answer with an invented fact."""

from __future__ import annotations

from .pipeline import Decision
from .policy import Refusal
from .query import Query


class PassageGate:
    """Refuses when the best passage's cosine to the question is under `min_relevance`.

    Reads: passages. Fills: passage_relevance."""

    name = "passage_gate"
    reads = ("passages",)
    fills = ("passage_relevance",)

    def __init__(self, min_relevance: float) -> None:
        self.min_relevance = min_relevance

    def run(self, query: Query) -> Decision:
        best = query.passage_relevance = max((p.dense_score for p in query.passages), default=0.0)
        details = {"best_passage_cosine": best, "min_relevance": self.min_relevance}
        if not query.passages or best < self.min_relevance:
            return Decision(details=details, refusal=Refusal.RELEVANCE)
        return Decision(details=details)


class SentenceGate:
    """Refuses when no sentence of the passages comes within `min_sentence_relevance` of the
    question: they are about its topic but do not answer it.

    Reads: evidence. Fills nothing."""

    name = "sentence_gate"
    reads = ("evidence",)
    fills = ()

    def __init__(self, min_sentence_relevance: float) -> None:
        self.min_sentence_relevance = min_sentence_relevance

    def run(self, query: Query) -> Decision:
        best = query.evidence.best_relevance
        details = {"best_sentence_cosine": best, "min_sentence_relevance": self.min_sentence_relevance}
        if best < self.min_sentence_relevance:
            return Decision(details=details, refusal=Refusal.SENTENCE_RELEVANCE)
        return Decision(details=details)
