"""The one decision after the model has written: a short answer, the source's sentence quoted,
or a refusal, by the learned probabilities that each is right (`confidence`).

A short answer is given when it is likely right. When it is not, but the sentence it rests on
(or, when the model found nothing, the surest sentence of the evidence) likely holds the answer,
that sentence is given verbatim with its citation (« L'article dit : « … » [1]. »): the reader
gets what the article says instead of a guess or nothing. Otherwise the assistant refuses."""

from __future__ import annotations

from ..types import Citation, Passage
from .confidence import ConfidenceModel, signals
from .pipeline import Decision, Query
from .policy import Refusal

# Not weighed by the models: an answer without the kind of thing asked (a time for « quel âge »).
# The training split holds one such answer in 625, too few for the model to learn that it is
# wrong, and its sentence, lacking that kind too, is no quote for the question.
REFUSED_BY_CHECKS = Refusal.ANSWER_TYPE

QUOTE_TEXTS = {"fr": "L'article dit : « {quote} » [{n}].", "en": 'The article says: "{quote}" [{n}].'}


def quoted(citations: list[Citation], passages: list[Passage], sentences: list[dict]) -> Citation | None:
    """The sentence a quote would give: the one the answer cites, else the evidence's surest
    sentence (`sentences`: the evidence stage's trace entries, with n, start, end)."""
    if citations:
        return citations[0]
    if not sentences or not passages:
        return None
    best = sentences[0]
    passage = passages[best["n"] - 1]
    start, end = best["start"], best["end"]
    return Citation(best["n"], passage, passage.text[start:end], passage.start + start, passage.start + end)


def quote_text(citation: Citation, language: str) -> str:
    return QUOTE_TEXTS.get(language, QUOTE_TEXTS["en"]).format(quote=citation.quote.strip(), n=citation.n)


class Decide:
    """Answer, quote or refuse by the confidence models.

    Reads: text, citations, passages, evidence, language, question. Fills: outcome,
    confidence, and text and citations for a quote."""

    name = "decide"
    reads = ("text", "citations", "passages", "evidence", "language", "question")
    fills = ("outcome", "confidence", "text", "citations")

    def __init__(self, model: ConfidenceModel, answer_threshold: float, quote_threshold: float) -> None:
        self.model = model
        self.answer_threshold, self.quote_threshold = answer_threshold, quote_threshold

    def run(self, query: Query) -> Decision:
        trace = {step.stage: step.details for step in query.trace}
        row = signals(trace, query.question)
        quote = quoted(query.citations, query.passages, trace.get("evidence", {}).get("sentences", []))
        answer, quote_probability = self.model.weigh(row, bool(query.text), quote is not None)
        details = {
            "answer_probability": answer,
            "quote_probability": quote_probability,
            "candidate": query.text,  # what the other outcomes would have given (the evaluation replays them)
            "quote": quote_text(quote, query.language) if quote else "",
            "quote_n": quote.n if quote else None,
            "signals": row,  # what the models read: another model can be replayed on a recorded run
        }
        checks = trace.get("verify", {})
        if checks.get("cross_lingual"):
            # Fitted on French questions about French articles, the models have not seen an answer
            # in another language than its source: the checks decide it, with no figure of confidence.
            details["decided_by"] = "checks"
            if query.text and not checks.get("finding"):
                query.outcome = "answer"
                return Decision("answer (checks)", details)
            return Decision(details=details, refusal=Refusal(checks["finding"]) if checks.get("finding") else Refusal.UNSURE)
        if checks.get("finding") == REFUSED_BY_CHECKS.value:
            return Decision(details=details, refusal=REFUSED_BY_CHECKS)
        if query.text and answer >= self.answer_threshold:
            query.outcome, query.confidence = "answer", answer
            return Decision("answer", details)
        if quote is not None and quote_probability >= self.quote_threshold:
            query.outcome, query.confidence = "quote", quote_probability
            query.text, query.citations = quote_text(quote, query.language), [quote]
            return Decision("quote", details)
        return Decision(details=details, refusal=Refusal.UNSURE)
