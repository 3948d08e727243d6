"""The one decision after the model has written: a short answer, the source's sentence quoted,
or a refusal, by the learned probabilities that each is right (`confidence`).

A short answer is given when it is likely right. When it is not, but the sentence it rests on
(or, when the model found nothing, the surest sentence of the evidence) likely holds the answer,
that sentence is given verbatim with its citation (« L'article dit : « … » [1]. »): the reader
gets what the article says instead of a guess or nothing. Otherwise the assistant refuses.

`verdict` is that decision from its figures alone: the stage calls it, and so does the
evaluation when it replays a recorded run at other thresholds (`lab.selective`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..types import Citation, Passage
from . import citations, rendering
from .confidence import ConfidenceModel, signals
from .pipeline import Decision
from .policy import Refusal
from .query import Chosen, Query

# Not weighed by the models: an answer without the kind of thing asked (a time for « quel âge »).
# The training split holds one such answer in 625, too few for the model to learn that it is
# wrong, and its sentence, lacking that kind too, is no quote for the question.
REFUSED_BY_CHECKS = Refusal.ANSWER_TYPE


@dataclass(frozen=True)
class Verdict:
    """What the decision gives: "answer", "quote" or "refused" (with its reason), and whether
    the checks decided it instead of the models."""

    outcome: str
    refusal: Refusal | None = None
    by_checks: bool = False


def by_checks(has_answer: bool, finding: str | None) -> Verdict:
    """The hand-set checks' decision: the short answer unless a check found a reason to refuse."""
    if has_answer and not finding:
        return Verdict("answer", by_checks=True)
    return Verdict("refused", Refusal(finding) if finding else Refusal.UNSURE, by_checks=True)


def verdict(
    answer_probability: float,
    quote_probability: float,
    has_answer: bool,
    has_quote: bool,
    finding: str | None,
    cross_lingual: bool,
    answer_threshold: float,
    quote_threshold: float,
) -> Verdict:
    """Answer, quote or refuse.

    Args:
        answer_probability, quote_probability: the confidence models' (0 for what is not there).
        has_answer, has_quote: a checked short answer, a sentence to quote.
        finding: the value of the refusal verify's checks found, None when they found none.
        cross_lingual: the answer is in another language than its source. Fitted on French
            questions about French articles, the models have not seen that: the checks decide it.
    """
    if cross_lingual:
        return by_checks(has_answer, finding)
    if finding == REFUSED_BY_CHECKS.value:
        return Verdict("refused", REFUSED_BY_CHECKS)
    if has_answer and answer_probability >= answer_threshold:
        return Verdict("answer")
    if has_quote and quote_probability >= quote_threshold:
        return Verdict("quote")
    return Verdict("refused", Refusal.UNSURE)


def quoted(cited: list[Citation], passages: list[Passage], chosen: tuple[Chosen, ...]) -> Citation | None:
    """The sentence a quote would give: the one the answer cites, else the evidence's surest
    sentence (`chosen`, offsets in passage n); with the answer's span the reader found in it."""
    if cited:
        return _with_span(cited[0], chosen)
    if not chosen or not passages:
        return None
    best = chosen[0]
    passage = passages[best.n - 1]
    return _with_span(Citation(best.n, passage, passage.text[best.start : best.end], passage.start + best.start, passage.start + best.end), chosen)


def _with_span(citation: Citation, chosen: tuple[Chosen, ...]) -> Citation:
    """The citation with the reader's answer span, when the quote is a sentence the reader read
    and the span lies inside it."""
    base = citation.passage.start
    for c in chosen:
        if c.span and c.n == citation.n and citation.quote_start <= base + c.span[0] and base + c.span[1] <= citation.quote_end:
            return replace(citation, answer_span=(base + c.span[0], base + c.span[1]))
    return citation


class Decide:
    """Answer, quote or refuse by the confidence models.

    Reads: answer, citations, passages, evidence, checks, language, question (and, for the
    models' signals, retrieved, passage_relevance, draft, verbatim). Fills: outcome,
    confidence, and citations for a quote."""

    name = "decide"
    reads = ("answer", "citations", "passages", "evidence", "checks", "language", "question", "retrieved", "passage_relevance", "draft", "verbatim")
    fills = ("outcome", "confidence", "citations")

    def __init__(self, model: ConfidenceModel, answer_threshold: float, quote_threshold: float) -> None:
        self.model = model
        self.answer_threshold, self.quote_threshold = answer_threshold, quote_threshold

    def run(self, query: Query) -> Decision:
        row = signals(query)
        quote = quoted(query.citations, query.passages, query.evidence.chosen if query.evidence else ())
        has_answer = bool(query.answer)
        answer_probability, quote_probability = self.model.weigh(row, has_answer, quote is not None)
        details = {
            "answer_probability": answer_probability,
            "quote_probability": quote_probability,
            "candidate": citations.render(query.answer),  # what the other outcomes would have given (the evaluation replays them)
            "quote": rendering.quote_text(quote, query.language) if quote else "",
            "quote_n": quote.n if quote else None,
            "signals": row,  # what the models read: another model can be replayed on a recorded run
        }
        checks = query.checks
        finding, cross_lingual = (checks.finding, checks.cross_lingual) if checks else (None, False)
        thresholds = self.answer_threshold, self.quote_threshold
        chosen = verdict(answer_probability, quote_probability, has_answer, quote is not None, finding, cross_lingual, *thresholds)
        if chosen.by_checks:
            details["decided_by"] = "checks"
        if chosen.refusal:
            return Decision(details=details, refusal=chosen.refusal)
        if chosen.by_checks:
            query.outcome = "answer"
            return Decision("answer (checks)", details)
        if chosen.outcome == "answer":
            query.outcome, query.confidence = "answer", answer_probability
            return Decision("answer", details)
        query.outcome, query.confidence, query.citations = "quote", quote_probability, [quote]
        return Decision("quote", details)
