"""Refusing before the model is asked: the question is far from every passage, or the passages
are on its topic but no sentence of them comes close to it. Both cost nothing next to a model
call, and a question they refuse is one the small models would answer with an invented fact."""

from __future__ import annotations

from .. import languages
from .pipeline import Decision
from .policy import Refusal
from .query import Query


def threshold(query: Query, passage_text: str, same_language: float, margin: float) -> tuple[float, bool]:
    """The gate's threshold for this question and its best passage, and whether they are in two
    languages: e5 scores a question lower against a passage in another language than against
    the same passage in its own (`Settings.cross_lingual_margin`)."""
    crossed = bool(passage_text) and query.language != languages.detect(passage_text)
    return (same_language - margin if crossed else same_language), crossed


class PassageGate:
    """Refuses when the best passage's cosine to the question is under `min_relevance`.

    Reads: passages. Fills: passage_relevance."""

    name = "passage_gate"
    reads = ("passages",)
    fills = ("passage_relevance",)

    def __init__(self, min_relevance: float, cross_lingual_margin: float = 0.0) -> None:
        self.min_relevance, self.margin = min_relevance, cross_lingual_margin

    def run(self, query: Query) -> Decision:
        top = max(query.passages, key=lambda p: p.dense_score, default=None)
        best = query.passage_relevance = top.dense_score if top else 0.0
        needed, crossed = threshold(query, top.text if top else "", self.min_relevance, self.margin)
        details = {"best_passage_cosine": best, "min_relevance": needed, **({"cross_lingual": True} if crossed else {})}
        if not query.passages or best < needed:
            return Decision(details=details, refusal=Refusal.RELEVANCE)
        return Decision(details=details)


class SentenceGate:
    """Refuses when no sentence of the passages comes within `min_sentence_relevance` of the
    question: they are about its topic but do not answer it.

    Reads: evidence. Fills nothing."""

    name = "sentence_gate"
    reads = ("evidence",)
    fills = ()

    def __init__(self, min_sentence_relevance: float, cross_lingual_margin: float = 0.0) -> None:
        self.min_sentence_relevance, self.margin = min_sentence_relevance, cross_lingual_margin

    def run(self, query: Query) -> Decision:
        best = query.evidence.best_relevance
        needed, crossed = threshold(query, query.passages[0].text if query.passages else "", self.min_sentence_relevance, self.margin)
        details = {"best_sentence_cosine": best, "min_sentence_relevance": needed, **({"cross_lingual": True} if crossed else {})}
        if best < needed:
            return Decision(details=details, refusal=Refusal.SENTENCE_RELEVANCE)
        return Decision(details=details)
