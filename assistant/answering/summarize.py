"""« Résume l'article sur … », « Que disent les articles sur … ? », "What is this article about?":
three to five sentences of the articles themselves, each with its citation.

An article: its sentences most central to it (closest to the mean of its sentences' vectors,
the lede favoured, as news puts the essential first) and to the question's subject, none too
close to another, in the article's order. Several articles: the sentence of each (one per story,
copies counted once, of those on the subject) that best says the
subject, the newest last, each with its outlet and date.
Quoted whole, every sentence is supported by the passage it cites; the small model is not asked
to write a summary it would embellish."""

from __future__ import annotations

import re

import numpy as np

from ..store.contract import Store
from ..text import content_words, split_sentences
from ..types import Citation, Passage
from . import rendering
from .corroborate import group_of
from .pipeline import Decision
from .policy import Refusal
from .query import Query
from .retrieve import ON_SUBJECT, passage_of

_ARTICLE = re.compile(
    r"\b(?:r[ée]sum(?:e|é|er|ez)|synth[èe]se|de quoi parle|que raconte|l'essentiel d|summari[sz]e|summary of|"
    r"what is (?:this|the) (?:article|story) about|gist of|tl;?dr)\b",
    re.IGNORECASE,
)
_OVERVIEW = re.compile(
    r"\b(?:que disent les (?:articles|médias|journaux)|qu'(?:écrivent|en disent) les (?:articles|médias|journaux)|fais le point|"
    r"que sait-on|tour d'horizon|what do the (?:articles|papers|outlets) say|overview of|what is known about)\b",
    re.IGNORECASE,
)
SENTENCES = 4  # of one article (three to five: the lede and what follows it)
ARTICLES = 5  # most stories an overview lists
LEAD_BONUS = 0.05  # the first sentence's head start over the last one's, in cosine
REDUNDANT = 0.92  # two sentences this close say the same thing
WHOLE = 200  # passages asked for to get all of one article
# Words of a request that name no subject (« Résume cet article », "What is this article about?"),
# the request's own verbs included: « Résume l'article » searched for « résume » found nothing.
_GENERIC = content_words(
    "article articles cet cette ce le la les this that the it sujet story papers médias journaux about "
    "résume résumer résumez résumé synthèse quoi parle raconte essentiel summarize summarise summary gist tldr what"
)


def intent(question: str) -> str | None:
    """ "overview" (several articles), "article" (one), or None (a question to answer)."""
    if _OVERVIEW.search(question):
        return "overview"
    return "article" if _ARTICLE.search(question) else None


_REQUEST_WORDS = re.compile(
    r"\b(?:l'|les |cet |cette |the |this )?(?:articles?|médias|journaux|papers|outlets|story)\b(?:\s+(?:sur|about|on|concernant))?", re.IGNORECASE
)


def subject(question: str) -> str:
    """What a request for a summary is about, to search with: « Résume l'article sur l'incendie
    dans une maison » -> « l'incendie dans une maison » (the request's words would find articles
    that say « article » or « résumé »)."""
    rest = _REQUEST_WORDS.sub(" ", _ARTICLE.sub(" ", _OVERVIEW.sub(" ", question)))
    rest = re.sub(r"^[\s,:;–-]*(?:sur|about|on|de|du|des|d')\s+", "", re.sub(r"\s+", " ", rest).strip(), flags=re.IGNORECASE)
    return rest if re.search(r"\w", rest) else question


class Summarize:
    """Answers a request for a summary with the articles' own sentences, and ends the question.

    Reads: message, question, candidates, language. Fills: summary, citations, passages, outcome.
    A request about a subject no passage comes close to is refused like a question; « De quoi
    parle cet article ? », with no subject, is about the index's only (or newest) article."""

    name = "summarize"
    reads = ("message", "question", "candidates", "language")
    fills = ("summary", "citations", "passages", "outcome")

    def __init__(self, store: Store, cosines, min_relevance: float) -> None:
        self._store, self._cosines, self.min_relevance = store, cosines, min_relevance

    def run(self, query: Query) -> Decision:
        kind = intent(query.message)
        if kind is None or not query.candidates:
            return Decision("not asked")
        words = content_words(subject(query.message)) - _GENERIC
        if not words and kind == "article":
            records = self._store.articles()
            newest = max(records, key=lambda article_id: records[article_id].get("date") or "")
            query.candidates = [p for p in query.candidates if p.article_id == newest] or self._whole(newest, query)
        elif max(p.dense_score for p in query.candidates) < self.min_relevance:
            return Decision(details={"subject": sorted(words)}, refusal=Refusal.RELEVANCE)
        chosen = self._overview(query) if kind == "overview" else self._article(query)
        passages = list(dict.fromkeys(p for p, _, _ in chosen))
        query.passages = passages
        query.citations = []
        lines = []
        for passage, start, end in chosen:
            n = passages.index(passage) + 1
            label = rendering.label(passage.source, passage.date, query.language) if kind == "overview" else ""
            lines.append(f"– {passage.text[start:end].strip()} [{n}]" + (f" ({label})" if label else ""))
            if all(c.n != n or c.quote_start != passage.start + start for c in query.citations):
                query.citations.append(Citation(n, passage, passage.text[start:end], passage.start + start, passage.start + end))
        query.summary, query.outcome = lines, "summary"
        return Decision(f"summary of {kind}", {"sentences": len(lines), "articles": len({p.article_id for p in passages})}, done=True)

    def _article(self, query: Query) -> list[tuple[Passage, int, int]]:
        article = query.candidates[0].article_id
        passages = self._whole(article, query)
        sentences = _sentences(passages)
        texts = [p.text[s:e] for p, s, e in sentences]
        vectors = self._cosines.vectors(texts)
        centre = vectors.mean(axis=0)
        relevance = np.asarray(self._cosines.relevance(query.question, texts))
        lead = LEAD_BONUS * (1 - np.arange(len(texts)) / max(1, len(texts) - 1))
        order = np.argsort(-(vectors @ centre / np.linalg.norm(centre) + relevance + lead))
        picked: list[int] = []
        for i in order:
            if len(picked) == SENTENCES:
                break
            if all(float(vectors[i] @ vectors[j]) < REDUNDANT for j in picked):
                picked.append(int(i))
        return [sentences[i] for i in sorted(picked)]

    def _overview(self, query: Query) -> list[tuple[Passage, int, int]]:
        records = self._store.articles()
        best = query.candidates[0].score
        stories: dict[str, Passage] = {}
        for passage in query.candidates:  # best first: a story's first passage is its best
            if passage.score >= ON_SUBJECT * best:  # on the subject, as for « le plus récent »
                stories.setdefault(group_of(records, passage.article_id), passage)
        chosen = []
        for passage in list(stories.values())[:ARTICLES]:
            spans = split_sentences(passage.text) or [(0, len(passage.text))]
            scores = self._cosines.relevance(query.question, [passage.text[s:e] for s, e in spans])
            start, end = spans[int(np.argmax(scores))]
            chosen.append((passage, start, end))
        return sorted(chosen, key=lambda c: c[0].date or "")

    def _whole(self, article_id: str, query: Query) -> list[Passage]:
        """Every passage of the article, in its order: the search restricted to it, asked for
        more passages than an article has."""
        among = {article_id}
        hits = self._store.keywords(query.question, WHOLE, among=among) + self._store.dense(query.question, WHOLE, among=among)
        found = [passage_of(hit, 0.0, 0.0) for hit in hits] + [p for p in query.candidates if p.article_id == article_id]
        return sorted({p.start: p for p in found}.values(), key=lambda p: p.start)


def _sentences(passages: list[Passage]) -> list[tuple[Passage, int, int]]:
    """Each sentence of the article once (overlapping passages repeat some), in order."""
    seen: set[int] = set()
    found = []
    for passage in passages:
        for start, end in split_sentences(passage.text):
            if passage.start + start not in seen:
                seen.add(passage.start + start)
                found.append((passage, start, end))
    return found
