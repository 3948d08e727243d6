"""« Résume l'article sur … », « Que disent les articles sur … ? », "What is this article about?":
three to five sentences of the articles themselves, each with its citation.

An article: its sentences most central to it (closest to the mean of its sentences' vectors,
the lede favoured, as news puts the essential first) and to the question's subject, none too
close to another, in the article's order. Several articles: the sentence of each (one per story,
copies counted once, of those on the subject) that best says the
subject, the newest last, each with its outlet and date.
Quoted whole, every sentence is supported by the passage it cites; the small model is not asked
to write a summary it would embellish.

Questions about the articles themselves end here too (`reading.requests`), answered from their
titles, outlets and dates: which of two came out first (« Entre l'article de Gala et celui
d'AOC, lequel a été publié en premier ? »), which one speaks of something (« Des deux articles,
lequel parle du Covid ? »), and what the one the question picks by date says (« Quel est
l'article le plus récent du Monde ? »: its title, outlet and date, then its summary)."""

from __future__ import annotations

import re

import numpy as np

from .. import languages
from ..reading.requests import asks_which_article, names_no_subject, spoken_of, which_first
from ..store.contract import Store
from ..text import content_words, split_sentences
from ..types import Citation, Passage
from . import rendering
from .citations import Sentence
from .corroborate import group_of
from .pipeline import Decision
from .policy import Refusal
from .query import Query
from .retrieve import ON_SUBJECT, passage_of, relative_score_fusion

_ARTICLE = re.compile(
    r"\b(?:r[ée]sum(?:e|é|er|ez)|synth[èe]se|de quoi parle|que raconte|l'essentiel d|summari[sz]e|summary of|"
    r"what is (?:this|the) (?:article|story) about|gist of|tl;?dr|"
    # « Quelles sont les dernières nouvelles sur … ? », "What's the latest on …?": what the newest
    # article on it says (`retrieve` puts it first), under its title
    r"(?:quelles sont )?les (?:dernières|plus récentes) (?:nouvelles|informations|infos|actualités|actus)|quoi de neuf|"
    r"what(?:'s| is| are) (?:new|the latest(?: news)?)|the latest news)\b",
    re.IGNORECASE,
)
_OVERVIEW = re.compile(
    r"\b(?:que disent les (?:articles|médias|journaux)|qu'(?:écrivent|en disent) les (?:articles|médias|journaux)|fais le point|"
    r"que sait-on|tour d'horizon|what do the (?:articles|papers|outlets) say|overview of|what is known about|"
    # « Qu'a publié Le Monde sur … ? », "What did Le Monde publish about …?": what the outlet's articles say
    r"qu'(?:a|ont|avait|avaient) (?:publié|paru)|what (?:did|has|have) [^?]{1,40}? publish(?:ed)?)\b",
    re.IGNORECASE,
)
SENTENCES = 4  # of one article (three to five: the lede and what follows it)
ARTICLES = 5  # most stories an overview lists
LEAD_BONUS = 0.05  # the first sentence's head start over the last one's, in cosine
REDUNDANT = 0.92  # two sentences this close say the same thing
FOCUS = 3.0  # the weight of closeness to the question when the article is named and the question asks about part of it
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

    Reads: message, question, candidates, language, among, order. Fills: summary, answer,
    citations, passages, outcome. A request about a subject no passage comes close to is refused
    like a question; « De quoi parle cet article ? », with no subject, is about the index's only
    (or newest) article, and « De quoi parle le plus ancien article ? » about the one `scope`
    picked by date."""

    name = "summarize"
    reads = ("message", "question", "candidates", "language", "among", "order")
    fills = ("summary", "answer", "citations", "passages", "outcome")

    def __init__(self, store: Store, cosines, min_relevance: float) -> None:
        self._store, self._cosines, self.min_relevance = store, cosines, min_relevance

    def run(self, query: Query) -> Decision:
        if query.candidates and (order := which_first(query.message)):
            return self._which_first(query, order)
        if query.candidates and asks_which_article(query.message):
            return self._which_speaks(query)
        kind = intent(query.message)
        # « Quel est l'article le plus récent du Monde ? »: `scope` picked it by date, and the
        # question asks for nothing but the article: its summary, under its title.
        picked = next(iter(query.among)) if query.order and query.among and len(query.among) == 1 else None
        if picked and (kind == "article" or (kind is None and names_no_subject(query.question))):
            kind = "article"
        elif kind is None or not query.candidates:
            return Decision("not asked")
        words = content_words(subject(query.message)) - _GENERIC
        if picked and kind == "article":
            query.candidates = [p for p in query.candidates if p.article_id == picked] or self._whole(picked, query)
        elif not words and kind == "article":
            records = self._store.articles()
            newest = max(records, key=lambda article_id: records[article_id].get("date") or "")
            query.candidates = [p for p in query.candidates if p.article_id == newest] or self._whole(newest, query)
        elif max(p.dense_score for p in query.candidates) < self.min_relevance:
            return Decision(details={"subject": sorted(words)}, refusal=Refusal.RELEVANCE)
        if kind == "overview" and len(self._stories(query)) == 1:
            # « Qu'a publié AOC cette semaine sur la retraite ? », one article: its summary, under its title
            kind, picked = "article", query.candidates[0].article_id
        # « Que raconte Gala sur le surnom … »: the outlet (or date) names the article, so the
        # subject is what the reader wants of it, not what finds it: its sentences on it come first.
        focused = kind == "article" and bool(words) and not picked and query.among is not None and len(query.among) == 1
        chosen = self._overview(query) if kind == "overview" else self._article(query, FOCUS if focused else 1.0)
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
        if kind == "article" and (picked or query.order):  # chosen by its date: say which article this is
            first = passages[0]
            lines.insert(0, self._phrase(query, "heading", first))
        query.summary, query.outcome = lines, "summary"
        return Decision(f"summary of {kind}", {"sentences": len(lines), "articles": len({p.article_id for p in passages})}, done=True)

    def _which_first(self, query: Query, order: str) -> Decision:
        """Which of the articles the question names came out first (or last): each one's title,
        outlet and date, in that order, each cited by its sentence closest to the question."""
        compared = self._compared(query)
        if len(compared) < 2:
            return Decision("not asked", {"compared": len(compared)})
        dated = sorted((p for p in compared if p.date), key=lambda p: p.date[:10], reverse=order == "latest")
        undated = [p for p in compared if not p.date]
        words = ("first", "then") if order == "oldest" else ("last", "before")
        sentences = [(words[0] if i == 0 else words[1], p) for i, p in enumerate(dated)] + [("undated", p) for p in undated]
        self._answer(query, sentences)
        return Decision("articles ordered by date", {"articles": [p.article_id for p in dated + undated], "order": order}, done=True)

    def _which_speaks(self, query: Query) -> Decision:
        """« Des deux articles, lequel parle de … ? »: the article the search puts first, named,
        with its sentence closest to the question."""
        if max(p.dense_score for p in query.candidates) < self.min_relevance:
            return Decision(details={"which": "article"}, refusal=Refusal.RELEVANCE)
        best = query.candidates[0]
        # Its sentence that best says what was asked about, of all its passages found.
        passages = [p for p in query.candidates if p.article_id == best.article_id]
        self._answer(query, [("which", best)], spoken_of(query.message), passages)
        return Decision("article named", {"article": best.article_id}, done=True)

    def _compared(self, query: Query) -> list[Passage]:
        """The best passage of each article the question compares: of each part it names (« celui
        sur le séisme ou celui sur la loi »), else of each outlet in scope (« l'article de Gala et
        celui d'AOC »), else of the two stories the search puts first."""
        parts = [part for part in re.split(r"\s(?:ou|or|versus|vs\.?)\s", query.question) if content_words(part)]
        found: dict[str, Passage] = {}
        if len(parts) >= 2:
            for part in parts:
                best = self._search(part, query.among)
                if best and best.article_id not in found:
                    found[best.article_id] = best
            if len(found) >= 2:
                return list(found.values())
        records = self._store.articles()
        by_outlet: dict[str, Passage] = {}
        for passage in query.candidates:  # best first
            by_outlet.setdefault(passage.source or passage.article_id, passage)
        if query.among is not None and len(by_outlet) >= 2:
            return list(by_outlet.values())
        stories: dict[str, Passage] = {}
        best = query.candidates[0].score
        for passage in query.candidates:
            if passage.score >= ON_SUBJECT * best:
                stories.setdefault(group_of(records, passage.article_id), passage)
        return list(stories.values())[:2]

    def _search(self, text: str, among: set[str] | None) -> Passage | None:
        """The passage that best matches `text` (dense and keywords fused, as `retrieve` does)."""
        restrict = {"among": among} if among is not None else {}
        dense, sparse = self._store.dense(text, 10, **restrict), self._store.keywords(text, 10, **restrict)
        fused = relative_score_fusion([(dense, 0.5), (sparse, 0.5)])
        cosine = {hit.node.node_id: float(hit.score or 0.0) for hit in dense}
        return passage_of(fused[0][0], fused[0][1], cosine.get(fused[0][0].node.node_id, 0.0)) if fused else None

    def _answer(self, query: Query, sentences: list[tuple[str, Passage]], about: str = "", among: list[Passage] | None = None) -> None:
        """The answer as sentences about articles (`languages` ARTICLES phrases), each citing its
        article's sentence closest to `about` (the question), found in `among` (its passage)."""
        query.passages, query.citations, answer = [], [], []
        for phrase, passage in sentences:
            passage, (start, end) = self._closest(about or query.question, among or [passage])
            n = len(query.passages) + 1
            query.passages.append(passage)
            quote = passage.text[start:end].strip()
            query.citations.append(Citation(n, passage, passage.text[start:end], passage.start + start, passage.start + end))
            answer.append(Sentence(self._phrase(query, phrase, passage, quote), (n,)))
        query.answer, query.outcome = answer, "answer"

    def _closest(self, text: str, passages: list[Passage]) -> tuple[Passage, tuple[int, int]]:
        """The sentence of `passages` closest to `text`: its passage and its offsets there."""
        spans = [(p, span) for p in passages for span in split_sentences(p.text) or [(0, len(p.text))]]
        scores = self._cosines.relevance(text, [p.text[s:e] for p, (s, e) in spans])
        return spans[int(np.argmax(scores))]

    @staticmethod
    def _phrase(query: Query, phrase: str, passage: Passage, quote: str = "") -> str:
        label = rendering.label(passage.source, passage.date, query.language) or passage.article_id
        return languages.get(query.language).ARTICLES[phrase].format(title=passage.title, label=label, quote=quote)

    def _article(self, query: Query, focus: float = 1.0) -> list[tuple[Passage, int, int]]:
        article = query.candidates[0].article_id
        passages = self._whole(article, query)
        sentences = _sentences(passages)
        texts = [p.text[s:e] for p, s, e in sentences]
        vectors = self._cosines.vectors(texts)
        centre = vectors.mean(axis=0)
        relevance = np.asarray(self._cosines.relevance(query.question, texts))
        lead = LEAD_BONUS * (1 - np.arange(len(texts)) / max(1, len(texts) - 1))
        order = np.argsort(-(vectors @ centre / np.linalg.norm(centre) + focus * relevance + lead))
        picked: list[int] = []
        for i in order:
            if len(picked) == SENTENCES:
                break
            if all(float(vectors[i] @ vectors[j]) < REDUNDANT for j in picked):
                picked.append(int(i))
        return [sentences[i] for i in sorted(picked)]

    def _stories(self, query: Query) -> dict[str, Passage]:
        """The best passage of each story on the subject, best first."""
        records = self._store.articles()
        best = query.candidates[0].score
        stories: dict[str, Passage] = {}
        for passage in query.candidates:  # best first: a story's first passage is its best
            if passage.score >= ON_SUBJECT * best:  # on the subject, as for « le plus récent »
                stories.setdefault(group_of(records, passage.article_id), passage)
        return stories

    def _overview(self, query: Query) -> list[tuple[Passage, int, int]]:
        chosen = []
        for passage in list(self._stories(query).values())[:ARTICLES]:
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
