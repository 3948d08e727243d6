"""Plain data passed between the modules and returned to users."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True)
class Article:
    """One news article as ingested: its full text and what is known about it."""

    id: str
    title: str
    text: str
    source: str | None = None  # the outlet's cleaned name (« Le Monde »), else the file path
    date: str | None = None  # publication date, ISO: "YYYY-MM-DD"
    url: str | None = None
    author: str | None = None
    language: str | None = None  # ISO 639-1 code of the text ("fr", "en", ...)
    # The title is the text's own first sentence, cut (the article has no headline): worth
    # showing, not worth embedding with every passage (it would add the lede to each).
    title_from_text: bool = False
    # Set at ingest (`ingest.duplicates`), not by loaders: the id of the first copy indexed of
    # the same story (a wire copy on several sites), None when it is the first or the only one;
    # and its MinHash signature, which later copies are compared with.
    story: str | None = None
    minhash: tuple[int, ...] = ()


DERIVED = ("story", "minhash")  # Article fields the ingest computes: not part of its content


@dataclass(frozen=True)
class Chunk:
    """A piece of an article: `article.text[start:end] == text` always holds."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with where it comes from and how well it matched the question."""

    article_id: str
    title: str
    text: str
    start: int
    end: int
    score: float  # fused rank score: higher is better
    dense_score: float = 0.0  # cosine similarity between question and passage
    source: str | None = None
    date: str | None = None
    url: str | None = None

    def to_dict(self) -> dict:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "source": self.source,
            "date": self.date,
            "url": self.url,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "dense_score": round(self.dense_score, 4),
            "text": self.text,
        }


@dataclass(frozen=True)
class Citation:
    """Passage `n` of the prompt, cited by the answer, with the quote that supports it."""

    n: int
    passage: Passage
    quote: str  # exact substring of the passage text
    quote_start: int  # offsets of the quote in the article
    quote_end: int
    copies: tuple[str, ...] = ()  # the other outlets that published the same story (a wire copy)
    # Where the answer lies inside the quote, as the reader found it (offsets in the article).
    answer_span: tuple[int, int] | None = None

    @property
    def title(self) -> str:
        return self.passage.title

    @property
    def source(self) -> str | None:
        return self.passage.source

    @property
    def start(self) -> int:
        return self.passage.start

    @property
    def end(self) -> int:
        return self.passage.end

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "article_id": self.passage.article_id,
            "title": self.title,
            "source": self.source,
            "date": self.passage.date,
            "url": self.passage.url,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "quote_start": self.quote_start,
            "quote_end": self.quote_end,
            "copies": list(self.copies),
            "answer_span": list(self.answer_span) if self.answer_span else None,
            "passage": self.passage.text,
        }


@dataclass(frozen=True)
class Reading:
    """Streamed by `Assistant.stream` before the model writes: the passages it is given, so a
    reader sees the sources while the model reads them (seconds, on a CPU)."""

    passages: list[Passage]


@dataclass(frozen=True)
class Filters:
    """What the reader restricts a question to, besides what the question says itself: a range
    of publication dates (inclusive), outlets (any spelling of their names), and the date that
    « hier » or « la semaine dernière » count from (today when None)."""

    since: dt.date | None = None
    until: dt.date | None = None
    sources: tuple[str, ...] = ()
    as_of: dt.date | None = None


class Turn(NamedTuple):
    """One message of a conversation: `role` is "user" or "assistant"."""

    role: str
    text: str


@dataclass(frozen=True)
class Step:
    """What one stage of the answering pipeline did for an answer: its entry in `Answer.trace`."""

    stage: str
    seconds: float
    decision: str  # in a few words: "passed", "refused", "rewritten", ...
    details: dict = field(default_factory=dict)  # what it measured and chose (JSON-able)

    def to_dict(self) -> dict:
        return {"stage": self.stage, "seconds": round(self.seconds, 4), "decision": self.decision, **self.details}


@dataclass(frozen=True)
class Answer:
    """What `Assistant.ask` returns: the text, whether it is a refusal, its evidence, and how it
    was reached (`trace`, one step per stage of the pipeline)."""

    question: str
    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)  # those given to the model, cited or not
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    standalone_question: str | None = None  # the rewritten follow-up, when chat() rewrote it
    # The share the model gave, at its first step, to writing its refusal word: how close it came
    # to saying the articles do not tell (None when it was not asked).
    refusal_probability: float | None = None
    refusal_reason: str | None = None  # the value of an `answering.policy.Refusal` when refused
    draft: str | None = None  # what the model wrote, before the checks (None when it was not asked)
    trace: list[Step] = field(default_factory=list)
    language: str = "fr"  # of the question (ISO code): refusals and explanations are given in it
    # "answer" (a short answer), "quote" (the source's sentence, verbatim) or "refused"
    outcome: str = "answer"
    confidence: float | None = None  # the learned probability that the outcome is right (None: not measured)

    def to_dict(self) -> dict:
        """The answer as JSON-able data: what `ask --json` prints and the web API returns."""
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "outcome": self.outcome,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "language": self.language,
            "refusal_reason": self.refusal_reason,
            "refusal_probability": None if self.refusal_probability is None else round(self.refusal_probability, 4),
            "standalone_question": self.standalone_question,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "trace": [step.to_dict() for step in self.trace],
        }


@dataclass(frozen=True)
class IngestReport:
    """What one ingest did, article by article."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    chunks_added: int = 0
    removed: list[str] = field(default_factory=list)  # a watched folder's deleted files' articles
    skipped: dict[str, int] = field(default_factory=dict)  # what a source held that is no article, counted

    def summary(self) -> str:
        removed = f"{len(self.removed)} removed, " if self.removed else ""
        skipped = "; skipped: " + ", ".join(f"{n} {what}" for what, n in self.skipped.items()) if self.skipped else ""
        return (
            f"{len(self.added)} added, {len(self.replaced)} replaced, "
            f"{len(self.unchanged)} unchanged, {removed}{len(self.rejected)} rejected, "
            f"{self.chunks_added} chunks embedded{skipped}"
        )
