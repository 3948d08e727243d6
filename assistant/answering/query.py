"""What the stages know about one question: the `Query` they fill stage by stage, and the typed
values they hand each other on it (the evidence the model reads, its draft, what the checks
found). A stage declares the fields it reads and fills (`pipeline.Stage`); no stage reads the
trace, which is derived from these values for people and the evaluation."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import NamedTuple

from ..types import Citation, Filters, Passage, Step, Turn
from .citations import Sentence
from .policy import Refusal


@dataclass
class Query:
    """What the stages know about one question, filled in stage by stage."""

    message: str  # as the user wrote it
    history: list[Turn] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)
    language: str = "fr"
    question: str = ""  # the message, or the standalone question it was rewritten into
    among: set[str] | None = None  # the ids of the articles the question is about (None: all)
    order: str | None = None  # "latest" or "oldest": articles ranked by publication date
    scope_notice: ScopeNotice | None = None  # what the question named that no article matches: said before the answer
    retrieved: list[Passage] = field(default_factory=list)  # every passage retrieved, in retrieval's order
    candidates: list[Passage] = field(default_factory=list)  # the same, as later stages reorder them
    passages: list[Passage] = field(default_factory=list)  # the few given to the model
    passage_relevance: float = 0.0  # the best cosine of a passage to the question (the passage gate's)
    evidence: Evidence | None = None  # the sentences of the passages the model reads
    draft: Written | None = None  # the model's text, before the checks, and how sure it was
    checks: Findings | None = None  # what verify's checks found in the draft
    answer: list[Sentence] = field(default_factory=list)  # the checked answer, sentence by sentence
    citations: list[Citation] = field(default_factory=list)
    verbatim: bool = False  # the answer is the cited sentence's own words
    attribution: list[str] = field(default_factory=list)  # « Le Monde, 17 janvier 2023 »: added after the answer
    summary: list[str] = field(default_factory=list)  # a summary's lines, each with its marker
    outcome: str = "answer"  # "answer" (a short answer), "quote" (the source's sentence, verbatim) or "summary"
    confidence: float | None = None  # the learned probability that the outcome is right
    timings: dict[str, float] = field(default_factory=dict)
    trace: list[Step] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)


class ScopeNotice(NamedTuple):
    """What a question named that no indexed article matches, so that the search ran wider: the
    outlets as the reader would read them, and the publication dates (None where open). Both
    outlets and dates when the outlet's articles are all outside them."""

    outlets: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class Written:
    """What the model wrote (with its [n] markers), the share it gave its refusal word at its
    first step (None when it was not asked), and how sure it was of each token it wrote."""

    text: str
    refusal_probability: float | None = None
    token_probabilities: tuple[float, ...] = ()


class Excerpt(NamedTuple):
    """The sentences of passage `n` (1-based, in rank order) chosen for the prompt."""

    n: int
    text: str


class Chosen(NamedTuple):
    """One sentence the model reads: passage `n`, its offsets in that passage's text, its
    relevance to the question and the evidence model's score (its share, which ranked it); with
    a reader, the reader's probability that it states the answer and where in it the answer
    lies (offsets in passage n's text) with that span's probability."""

    n: int
    start: int
    end: int
    relevance: float
    score: float
    probability: float | None = None
    span: tuple[int, int] | None = None
    span_probability: float = 0.0


class Evidence(NamedTuple):
    """What the model reads, and how close the passages' best sentence comes to the question."""

    excerpts: list[Excerpt]
    # The highest relevance of any one sentence (unweighted): a question no sentence comes close
    # to is one the passages do not answer, however close their topic (0 with no sentence).
    best_relevance: float
    chosen: tuple[Chosen, ...] = ()  # the sentences read, the surest first (none: whole passages)
    reader_best: float | None = None  # the reader's highest probability over the sentences it read


@dataclass(frozen=True)
class Findings:
    """What the checks found in a draft, each check apart, whatever the others found."""

    said_unknown: bool  # the model wrote that the passages do not say
    kind_fits: bool  # an age, a time, a quantity where one was asked (True when none was)
    kept: list[Sentence]  # the sentences some passage backs, with their checked markers
    dropped: int  # sentences no passage backs
    citations: list[Citation]
    topic_words: int  # most question words shared by a cited sentence (with the one before, the title)
    on_topic: bool  # topic_words reaches the rule (True when the check is off or skipped)
    support: float  # best share of a kept sentence's new words its passage holds
    moved: bool  # a marker was added or moved to the passage that backs its sentence
    cross_lingual: bool = False  # the answer is in another language than its passages: checked by meaning

    def refusal(self) -> Refusal | None:
        """The first check that fails, in the order they were tuned (docs/decisions.md)."""
        if self.said_unknown:
            return Refusal.MODEL
        if not self.kind_fits:
            return Refusal.ANSWER_TYPE
        if not self.kept:
            return Refusal.UNSUPPORTED
        if not self.on_topic:
            return Refusal.OFF_TOPIC
        return None

    @property
    def finding(self) -> str | None:
        """The value of the refusal the checks would decide (None: none)."""
        reason = self.refusal()
        return reason.value if reason else None

    def figures(self) -> dict:
        """The findings as the trace records them, with the refusal the checks would decide."""
        return {
            "cross_lingual": self.cross_lingual,
            "said_unknown": self.said_unknown,
            "kind_fits": self.kind_fits,
            "kept": len(self.kept),
            "dropped": self.dropped,
            "cited": [c.n for c in self.citations],
            "topic_words": self.topic_words,
            "on_topic": self.on_topic,
            "support": self.support,
            "moved": self.moved,
            "finding": self.finding,
        }
