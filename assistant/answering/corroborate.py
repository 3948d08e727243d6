"""Several outlets on one story: the answer cites every article that says the same, and says so
when another gives a different figure, instead of picking one silently.

Copies of one wire story (grouped at ingest, `ingest.duplicates`) count as one source: the
citation lists the other outlets that published it. Agreement is checked like any citation (the
other passage holds the answer's words and numbers); disagreement is a number the other passage
gives for the same thing (« 12 morts » against « 15 morts »).

A question that compares (« Comment le bilan a-t-il évolué entre l'article du Monde et celui de
Libération ? », « Quelle différence entre … », `reading.requests.asks_change`) looks further: the
other articles the search found on the subject, not only the few passages the model read, and
names the other figure with its outlet and date (« Libération, 7 février 2024, donne un autre
chiffre : 15 morts [2]. »)."""

from __future__ import annotations

import re
from dataclasses import replace

from .. import languages
from ..reading.requests import asks_change
from ..store.contract import Store
from ..text import STOPWORDS, content_words, fold, unsupported_numbers
from ..types import Passage
from . import citations, rendering
from .citations import Sentence
from .pipeline import Decision
from .query import Query
from .retrieve import ON_SUBJECT

MIN_SHARED = 0.6  # of the answer's content words another passage must hold to say the same
_FIGURE = re.compile(r"(\d[\d\u00a0\u202f ]*(?:[.,]\d+)?)\s*(%|[^\W\d_]{2,})", re.UNICODE)  # « 12 morts », « 130 km/h », « 5 % »


def group_of(records: dict[str, dict], article_id: str) -> str:
    """The story an article belongs to: the first copy ingested of it, or itself."""
    return (records.get(article_id) or {}).get("story") or article_id


def figures(text: str) -> dict[str, str]:
    """Unit stem -> the number written before it (« 12 morts » -> {"morts": "12"}); a number
    before a function word (« 12 de ») counts nothing."""
    found = ((fold(unit)[:6], re.sub(r"[\u00a0\u202f ]", "", number)) for number, unit in _FIGURE.findall(text))
    return {unit: number for unit, number in found if unit not in STOPWORDS}


class Corroborate:
    """Adds the citations of other outlets' passages that say the answer, names the copies of a
    cited wire story, and reports another outlet's different figure.

    Reads: message, answer, citations, passages, candidates, among, order, scope_notice,
    language. Fills: answer, citations, passages (a comparison may cite an article the model did
    not read)."""

    name = "corroborate"
    reads = ("message", "answer", "citations", "passages", "candidates", "among", "order", "scope_notice", "language")
    fills = ("answer", "citations", "passages")

    def __init__(self, store: Store) -> None:
        self._store = store

    def run(self, query: Query) -> Decision:
        records = self._store.articles()
        query.citations = [replace(c, copies=_copies(records, c.passage)) for c in query.citations]
        if len(query.answer) != 1 or not query.citations:
            return Decision("one source" if query.answer else "nothing to compare")
        sentence, cited = query.answer[0], query.citations[0]
        stories = {group_of(records, query.passages[n - 1].article_id) for n in sentence.cited}
        comparing, read = asks_change(query.message), len(query.passages)
        if comparing:
            query.passages = [*query.passages, *_on_subject(query.candidates, query.passages)]
        agree, differ = [], []
        for n, passage in enumerate(query.passages, 1):
            if n in sentence.cited or group_of(records, passage.article_id) in stories:
                continue
            stories.add(group_of(records, passage.article_id))
            if _says(sentence.text, query.question, passage):
                agree.append(n)
            elif other := _other_figure(sentence.text, passage):
                differ.append((n, other))
        if not agree and not differ:
            del query.passages[read:]
            return Decision("one source")
        for n in agree:
            query.citations.append(citations.cite(n, query.passages[n - 1], sentence.text))
        first = sentence.text
        if comparing and differ and query.among is None and query.order is None and query.scope_notice is None:
            # Both figures with their sources (`attribute` names them when the scope was narrowed).
            mine = query.passages[sentence.cited[0] - 1] if sentence.cited else cited.passage
            if label := rendering.label(mine.source, mine.date, query.language):
                body, end = (first[:-1], first[-1]) if first[-1:] in ".!?" else (first, ".")
                first = f"{body.rstrip()} ({label}){end}"
        answer = [Sentence(first, (*sentence.cited, *agree))]
        for n, figure in differ[:1]:  # one disagreement is what the reader needs to know
            other = query.passages[n - 1]
            outlet = (rendering.label(other.source, other.date, query.language) if comparing else other.source) or other.title
            query.citations.append(citations.cite(n, query.passages[n - 1], figure))
            answer.append(Sentence(languages.get(query.language).OTHER_FIGURE.format(outlet=outlet, figure=figure), (n,)))
        query.answer = answer
        query.citations.sort(key=lambda c: c.n)
        del query.passages[max(read, query.citations[-1].n) :]  # the articles added and not cited
        return Decision("several sources", {"agree": agree, "differ": [n for n, _ in differ], "first": cited.n, "comparing": comparing})


def _on_subject(candidates: list[Passage], read: list[Passage]) -> list[Passage]:
    """The best passage of each other article the search found on the subject (within
    ON_SUBJECT of the best score, as `retrieve.by_date` counts them), in rank order."""
    best = max((p.score for p in candidates), default=0.0)
    seen = {p.article_id for p in read}
    found = []
    for passage in candidates:
        if passage.score >= ON_SUBJECT * best and passage.article_id not in seen:
            seen.add(passage.article_id)
            found.append(passage)
    return found


def _says(answer: str, question: str, passage: Passage) -> bool:
    words = content_words(answer) - content_words(question)
    if not words or unsupported_numbers(answer, passage.text):
        return False
    return len(words & content_words(passage.text)) / len(words) >= MIN_SHARED


def _other_figure(answer: str, passage: Passage) -> str | None:
    """« 15 morts » when the answer says « 12 morts » and the passage gives 15 for that unit."""
    mine, theirs = figures(answer), figures(passage.text)
    for unit, number in mine.items():
        if unit in theirs and theirs[unit] != number:
            match = next(m for m in _FIGURE.finditer(passage.text) if fold(m.group(2))[:6] == unit)  # as the passage writes it
            return match.group(0).strip()
    return None


def _copies(records: dict[str, dict], passage: Passage) -> tuple[str, ...]:
    """The other outlets (or ids) that published the cited article's story."""
    story = group_of(records, passage.article_id)
    others = (article_id for article_id in records if article_id != passage.article_id and group_of(records, article_id) == story)
    return tuple(records[article_id].get("source") or article_id for article_id in others)
