"""The evaluation's data: questions and probes, corpus records, and what happened to each
question (`Outcome`, one line of `eval --details`).

Data formats (../shared/eval/README.md): questions `{"id", "question", "answers", "context_id",
"title"}` (`"answerable": false` or empty answers mark a probe the corpus cannot answer), corpus
records `{"context_id", "title", "text"}`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..answering.citations import strip_markers
from ..errors import InputError
from ..types import Article
from .metrics import contains_answer


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    context_id: str | None = None
    answerable: bool = True


@dataclass
class Outcome:
    """What happened to one question: retrieval, and the answer when generation ran."""

    question: Question
    rank: int | None = None  # of the gold passage among the 10 the trace lists (retrieve.TRACED)
    judged: bool = False  # whether retrieval could be judged (a gold context or answer exists)
    response: str | None = None
    short: str | None = None
    refused: bool | None = None
    citations_with_answer: int = 0
    citations: int = 0
    latency_s: float | None = None
    ttft_s: float | None = None
    refusal_probability: float | None = None
    refusal_reason: str | None = None
    draft: str | None = None  # the model's text before the checks
    relevance: tuple[float, float] | None = None  # best passage and best sentence cosines (retrieval-only runs)
    # Whether the sentences the model reads hold a gold answer: no answer can be right without.
    evidence_holds: bool | None = None
    # Whether the sentence the evidence ranks first (the reader's best, or the evidence model's) holds one.
    top_sentence_holds: bool | None = None
    evidence_s: float | None = None  # the evidence stage's time (sentences embedded, scored, read)
    cited: list[dict] = field(default_factory=list)
    passages: list[str] = field(default_factory=list)
    outcome: str | None = None  # "answer", "quote" or "refused"
    confidence: float | None = None  # the learned probability that the outcome is right
    answer_probability: float | None = None  # the short answer's, even when it was not given
    candidate: str | None = None  # the short answer the decision weighed (given or not)
    quote_probability: float | None = None
    quote: str | None = None  # the quote the decision weighed (given or not)
    quote_cited_right: bool | None = None  # whether the quoted sentence's passage holds a gold answer
    finding: str | None = None  # the refusal the checks would decide without a confidence model
    signals: dict | None = None  # what the confidence models read (`confidence.signals`)

    @property
    def cross_lingual(self) -> bool:
        """The answer was in another language than its source: the checks decided it, not the models."""
        return bool((self.signals or {}).get("cross_lingual"))

    @property
    def answered(self) -> bool:
        return self.outcome == "answer"

    @property
    def right(self) -> bool:
        """The outcome holds a gold answer: the short answer, or the quoted sentence."""
        return self.outcome in ("answer", "quote") and contains_answer(strip_markers(self.response or ""), self.question.answers)

    def to_dict(self) -> dict:
        q = self.question
        return {
            "id": q.id,
            "question": q.question,
            "answers": list(q.answers),
            "context_id": q.context_id,
            "answerable": q.answerable,
            "rank": self.rank,
            "passages": self.passages,
            "response": self.response,
            "short_answer": self.short,
            "refused": self.refused,
            "citations": self.cited,
            "latency_s": self.latency_s,
            "ttft_s": self.ttft_s,
            "refusal_probability": self.refusal_probability,
            "refusal_reason": self.refusal_reason,
            "draft": self.draft,
            "citations_with_answer": self.citations_with_answer,
            "relevance": self.relevance,
            "evidence_holds": self.evidence_holds,
            "top_sentence_holds": self.top_sentence_holds,
            "evidence_s": self.evidence_s,
            "outcome": self.outcome,
            "confidence": self.confidence,
            "answer_probability": self.answer_probability,
            "candidate": self.candidate,
            "quote_probability": self.quote_probability,
            "quote": self.quote,
            "quote_cited_right": self.quote_cited_right,
            "finding": self.finding,
            "signals": self.signals,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Outcome:
        """An outcome as `to_dict` wrote it (a line of `eval --details`)."""
        question = Question(data["id"], data["question"], tuple(data["answers"]), data.get("context_id"), data["answerable"])
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "question"}
        fields["relevance"] = tuple(data["relevance"]) if data.get("relevance") else None
        return cls(question, **{**fields, "short": data.get("short_answer"), "cited": data.get("citations", []), "citations": len(data.get("citations", []))})


def read_jsonl(path: str | Path) -> list[dict]:
    records = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error}") from error
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{path}, line {number}: not JSON ({error})") from error
        if not isinstance(record, dict):
            raise InputError(f"{path}, line {number}: expected a JSON object")
        records.append(record)
    return records


def load_questions(path: str | Path, answerable: bool | None = None) -> list[Question]:
    """Questions from JSONL; `answerable=False` marks every record of the file as a probe."""
    questions = []
    for i, record in enumerate(read_jsonl(path), 1):
        if not str(record.get("question") or "").strip():
            raise InputError(f"{path}, record {i}: no question")
        answers = tuple(str(a) for a in record.get("answers") or [] if str(a).strip())
        if answerable is None:  # a record is a probe when it says so or has no answer
            is_answerable = record.get("answerable", True) is not False and bool(answers)
        else:
            is_answerable = answerable
        questions.append(Question(str(record.get("id", i)), record["question"], answers, record.get("context_id"), is_answerable))
    return questions


def article_files(paths: list[Path]) -> list[Path]:
    """The article files of `paths` (folders expanded as `assistant ingest` does), a folder's
    README left out: it describes the pages, it is no article, and its words matched questions."""
    from ..ingest.loaders import find_files

    return [f for f in find_files(paths) if f.stem.lower() != "readme"]


def load_corpus(path: str | Path) -> list[Article]:
    articles = []
    for i, record in enumerate(read_jsonl(path), 1):
        if not record.get("context_id") or not str(record.get("text") or "").strip():
            raise InputError(f"{path}, record {i}: a corpus record needs context_id and text")
        articles.append(Article(id=str(record["context_id"]), title=str(record.get("title") or ""), text=record["text"]))
    return articles


def select(answerable: list[Question], unanswerable: list[Question], limit: int | None) -> list[Question]:
    """The first `limit` answerable questions and a proportional share (at least 5) of the probes,
    interleaved so that an interrupted run still reports both kinds."""
    if limit is not None:
        probes = min(len(unanswerable), max(5, round(limit * len(unanswerable) / max(len(answerable), 1)))) if unanswerable else 0
        answerable, unanswerable = answerable[:limit], unanswerable[:probes]
    placed = [(i / len(answerable), 0, q) for i, q in enumerate(answerable)]
    placed += [((j + 0.5) / len(unanswerable), 1, q) for j, q in enumerate(unanswerable)]
    return [q for _, _, q in sorted(placed, key=lambda item: item[:2])]
