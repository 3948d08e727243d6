"""The questions the reader learns from and is measured on: each question of a QA split asked
of the product's own pipeline over an index of the split's corpus, and every sentence of the
passages the evidence stage would score (its pool) kept as a candidate, with what the evidence
stage knows of it (its e5 cosine, the evidence model's share) and whether it holds a gold answer.

So a figure from here is the product's: same ingestion, retrieval, sentence splitter and
candidates as at answer time."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from ..text import neighbours
from ..types import Article
from .data import Question
from .metrics import contains_answer, normalize


@dataclass(frozen=True)
class Candidate:
    """One sentence of the pool: passage n's text[start:end], its neighbours, its article's title,
    the evidence stage's figures for it, and whether (and where) it holds a gold answer."""

    n: int
    start: int
    end: int
    text: str
    before: str
    after: str
    title: str
    cosine: float
    share: float  # the evidence model's
    right: bool
    answer: tuple[int, int] | None  # where a gold answer lies in `text`


@dataclass(frozen=True)
class Item:
    id: str
    title: str  # of the question's article (for splits by article)
    question: str
    answerable: bool
    candidates: tuple[Candidate, ...]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict) -> Item:
        candidates = tuple(Candidate(**{**c, "answer": tuple(c["answer"]) if c["answer"] else None}) for c in record["candidates"])
        return cls(record["id"], record["title"], record["question"], record["answerable"], candidates)


def answer_span(text: str, answers: tuple[str, ...]) -> tuple[int, int] | None:
    """Where the first gold answer found lies in `text` (case-insensitive, as written), None when
    the sentence holds none as whole words."""
    if not contains_answer(text, answers):
        return None
    lowered = text.lower()
    for answer in sorted(answers, key=len, reverse=True):
        at = lowered.find(answer.lower().strip())
        if answer.strip() and at >= 0:
            return at, at + len(answer.strip())
    return next(((0, len(text)) for a in answers if normalize(a)), None)  # found only after normalising: the whole sentence


def collect(questions: list[Question], titles: dict[str, str], corpus: list[Article], progress: bool = True, **settings) -> list[Item]:
    """Index `corpus` in a temporary folder with the default models and read every question's
    candidates as the evidence stage would (`titles`: question id -> its article's title)."""
    from tqdm import tqdm

    from ..answering import Query, last
    from ..answering.sentence_features import sentence_table
    from ..api import Assistant

    folder = Path(tempfile.mkdtemp(prefix="assistant-reader-"))
    try:
        assistant = Assistant.open(folder / "index", **settings)
        assistant.ingest_articles(corpus, progress=progress)
        evidence = assistant.pipeline.stage("evidence")
        items = []
        for q in tqdm(questions, desc="Candidates", unit="q", disable=not progress):
            query = Query(q.question)
            last(assistant.pipeline.stream(query, until="passage_gate", enforce=False))
            pool = query.candidates[: evidence.pool]
            table = sentence_table(query.question, pool, evidence.relevance)
            shares = evidence.model.shares(table.features) if table.candidates else []
            candidates = []
            for (n, start, end), cosine, share in zip(table.candidates, table.cosines, shares):
                passage = pool[n - 1]
                text = passage.text[start:end]
                before, after = neighbours(passage.text, start, end)
                span = answer_span(text, q.answers) if q.answerable else None
                candidates.append(Candidate(n, start, end, text, before, after, passage.title, float(cosine), float(share), span is not None, span))
            items.append(Item(q.id, titles.get(q.id, ""), q.question, q.answerable, tuple(candidates)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return items


def save(items: list[Item], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(i.to_dict(), ensure_ascii=False) + "\n" for i in items), encoding="utf-8")


def load(path: Path) -> list[Item]:
    return [Item.from_dict(json.loads(line)) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def recall_at_1(items: list[Item], scores: list[list[float]]) -> float:
    """The share of answerable questions whose best-scored candidate holds a gold answer."""
    answerable = [(item, s) for item, s in zip(items, scores) if item.answerable]
    hits = sum(bool(item.candidates) and item.candidates[max(range(len(s)), key=s.__getitem__)].right for item, s in answerable)
    return hits / len(answerable) if answerable else 0.0
