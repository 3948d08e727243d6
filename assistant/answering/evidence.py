"""Evidence: the sentences of the retrieved passages that bear on the question.

Reading the prompt is most of an answer's time on a CPU (about 80 tokens/s for the 1.5B model),
and the small models are distracted by nearby facts. So the model reads only the passages'
sentences likeliest to answer, a few hundred characters, instead of whole passages; citations
still point at the passage, and grounding still checks against the passage's full text.

Two selectors: the learned one (`select_learned`, the default: the evidence model scores every
sentence of the first `evidence_pool` passages, docs/evidence.md) and the e5 cosine one it
replaced (`rerank` then `select`, `ASSISTANT_EVIDENCE_MODEL=cosine`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from ..reader.runtime import Candidate, Reader, Reading
from ..text import neighbours, split_sentences
from ..types import Passage
from .evidence_model import EvidenceModel
from .pipeline import Decision
from .query import Chosen, Evidence, Excerpt, Query
from .retrieve import TRACED
from .sentence_features import SentenceTable, sentence_table

# (question, sentences) -> how close each sentence is to the question, e.g. embedding cosines
Relevance = Callable[[str, list[str]], list[float]]


def select(question: str, passages: list[Passage], max_chars: int, relevance: Relevance) -> Evidence:
    """The best sentences of the passages within `max_chars`, each kept in its passage's order.

    A sentence scores its `relevance` to the question times its passage's retrieval score
    relative to the best: embeddings find the answering sentence even when it shares no word
    with the question, and the passage's rank keeps a look-alike sentence of a poorly ranked
    passage from crowding out the right one. The best sentence of the best passage always comes
    first, even over the budget. Passages with no chosen sentence are left out, their number
    unused, so that citations keep pointing at the right passage. `max_chars` 0 turns the
    selection off (the relevance is still measured).
    """
    sentences = _unique_sentences(passages)
    if not sentences:
        return Evidence([], 0.0)
    similarity = relevance(question, [passages[n - 1].text[s:e] for n, s, e in sentences])
    if max_chars <= 0:  # selection off: the model reads the whole passages
        return Evidence([Excerpt(n, p.text) for n, p in enumerate(passages, 1)], max(similarity))
    weight = _passage_relevance(passages)
    scores = [weight[n - 1] * score for (n, _, _), score in zip(sentences, similarity)]
    order = sorted(range(len(sentences)), key=lambda i: (-scores[i], sentences[i][0], sentences[i][1]))
    first = next(i for i in order if sentences[i][0] == sentences[0][0])  # the best passage's best sentence
    chosen, used = [first], sentences[first][2] - sentences[first][1]
    for i in order:
        n, start, end = sentences[i]
        if i != first and used + end - start <= max_chars:
            chosen.append(i)
            used += end - start
    picked = tuple(Chosen(*sentences[i], similarity[i], scores[i]) for i in chosen)
    return Evidence(_excerpts(passages, [sentences[i] for i in chosen]), max(similarity), picked)


def rerank(question: str, passages: list[Passage], relevance: Relevance, weight: float) -> list[Passage]:
    """The passages ordered by retrieval score plus `weight` times the relevance of their best
    sentence: a passage holding one sentence very close to the question moves ahead of one that
    is only close as a whole. On the PIAF dev split, reordering the top 3 this way (weight 2, e5
    cosines) took MRR from 0.876 to 0.883 and recall@1 from 0.818 to 0.828 (README). 0: off."""
    if weight <= 0 or len(passages) < 2:
        return passages
    groups = [[p.text[s:e] for s, e in split_sentences(p.text)] or [p.text] for p in passages]
    scores = relevance(question, [sentence for group in groups for sentence in group])
    best, at = [], 0
    for group in groups:
        best.append(max(scores[at : at + len(group)]))
        at += len(group)
    order = sorted(range(len(passages)), key=lambda i: -(passages[i].score + weight * best[i]))
    return [passages[i] for i in order]


def surest_first(shares, limit: int) -> list[int]:
    """The indices of the `limit` sentences the evidence model is surest of, surest first: those
    the reader reads."""
    return sorted(range(len(shares)), key=lambda i: -shares[i])[:limit]


class ReadSentences:
    """The reader over the sentences the evidence model is surest of: reading costs some 20 ms a
    sentence on 2 cores, and the evidence model's last sentences are seldom the answering one.
    Gives one reading per sentence of the table, None for those left unread."""

    def __init__(self, reader: Reader, limit: int) -> None:
        self.reader, self.limit = reader, limit

    def __call__(self, question: str, pool: list[Passage], table: SentenceTable, shares) -> list[Reading | None]:
        first = surest_first(shares, self.limit)
        candidates = []
        for i in first:
            n, start, end = table.candidates[i]
            text = pool[n - 1].text
            before, after = neighbours(text, start, end)
            candidates.append(Candidate(text[start:end], before, after, pool[n - 1].title, float(shares[i]), float(table.cosines[i])))
        readings: list[Reading | None] = [None] * len(shares)
        for i, reading in zip(first, self.reader.read(question, candidates)):
            readings[i] = reading
        return readings


# How much the evidence model's log share counts beside the reader's log-odds. On the dev
# candidates the reader alone ranks first a sentence holding the answer for 0.667 of the answerable
# questions, the evidence model for 0.693, the sum with 0.5 or 1 for 0.696 and 0.698; on the news
# questions 0.693, 0.523, 0.705 and 0.670: 0.5 keeps PIAF level and most of the reader's gain on
# news, whose sentences the evidence model (fitted on Wikipedia paragraphs) ranks worst.
SHARE_WEIGHT = 0.5


def read_ranking(shares, readings: list[Reading | None]) -> list[float]:
    """The reader's log-odds plus SHARE_WEIGHT x the log of the evidence model's share for the
    sentences it read; those it did not read come after, in the evidence model's order."""
    ranking = []
    for share, reading in zip(shares, readings):
        if reading is None:
            ranking.append(float(share) - 1e6)
        else:
            p = min(max(reading.probability, 1e-6), 1 - 1e-6)
            ranking.append(math.log(p / (1 - p)) + SHARE_WEIGHT * math.log(max(float(share), 1e-4)))
    return ranking


class Choice(NamedTuple):
    """What the learned selector chose: every passage it scored, reordered (best first), and the
    evidence from the first of them (its `chosen` sentences scored by their share)."""

    passages: list[Passage]
    evidence: Evidence


def select_learned(
    question: str, passages: list[Passage], pool: list[Passage], max_chars: int, relevance: Relevance, model: EvidenceModel, reader: ReadSentences | None = None
) -> Choice:
    """The sentences of the pool's passages likeliest to answer, as the model scores them, within
    `max_chars`.

    Every sentence of `pool` (the passages given, then the next candidates) is scored. The pool's
    passages are reordered by their best sentence's share, and the model reads the first
    `len(passages)` of them: a passage ranked fourth by retrieval that holds the answering
    sentence takes the place of one that does not. The chosen sentences are taken by share,
    the first even over the budget; a sentence repeated by overlapping chunks is read once.
    `best_relevance` stays the best cosine of a sentence of `passages` (the fused top k), what
    the sentence gate has always been calibrated on. `max_chars` 0: the whole passages.

    With a `reader`, the sentences it reads (the evidence model's surest) are ranked by
    `read_ranking` and carry its probability and span, and the evidence its best probability.
    """
    table = sentence_table(question, pool, relevance)
    given = len(passages)
    best_relevance = max((c for s, c in zip(table.candidates, table.cosines) if s.n <= given), default=0.0)
    if not table.candidates:
        return Choice(list(pool), Evidence([], best_relevance))
    shares = model.shares(table.features)
    readings = reader(question, pool, table, shares) if reader else [None] * len(shares)
    surest = max((r.probability for r in readings if r), default=None)
    ranking = read_ranking(shares, readings) if reader else [float(share) for share in shares]
    best: dict[int, float] = {}
    for sentence, score in zip(table.candidates, ranking):
        best[sentence.n] = max(best.get(sentence.n, -math.inf), score)
    order = sorted(range(1, len(pool) + 1), key=lambda n: (-best.get(n, -math.inf), n))
    ordered = [pool[n - 1] for n in order]
    rank = {n: r for r, n in enumerate(order[:given], 1)}  # the numbers the model reads them under
    if max_chars <= 0:
        return Choice(ordered, Evidence([Excerpt(r, p.text) for r, p in enumerate(ordered[:given], 1)], best_relevance, reader_best=surest))
    picks = sorted((i for i, s in enumerate(table.candidates) if s.n in rank), key=lambda i: -ranking[i])
    chosen, used, seen = [], 0, set()
    for i in picks:
        n, start, end = table.candidates[i]
        text = pool[n - 1].text[start:end].strip()
        if text not in seen and (not chosen or used + end - start <= max_chars):
            chosen.append(i)
            used += end - start
            seen.add(text)
    picked = tuple(_chosen(rank[table.candidates[i].n], table.candidates[i], table.cosines[i], float(shares[i]), readings[i]) for i in chosen)
    return Choice(ordered, Evidence(_excerpts(ordered[:given], [(c.n, c.start, c.end) for c in picked]), best_relevance, picked, surest))


def _chosen(n: int, sentence, cosine: float, share: float, reading) -> Chosen:
    """A chosen sentence under its number `n` in the read passages; the reader's span moved from
    the sentence's offsets to the passage's."""
    if reading is None:
        return Chosen(n, sentence.start, sentence.end, cosine, share)
    span = (sentence.start + reading.span[0], sentence.start + reading.span[1])
    return Chosen(n, sentence.start, sentence.end, cosine, share, reading.probability, span, reading.span_probability)


def _unique_sentences(passages: list[Passage]) -> list[tuple[int, int, int]]:
    """(n, start, end) of every sentence; overlapping chunks repeat sentences, and a repeated
    one is kept only in the better-ranked passage."""
    seen: set[str] = set()
    sentences = []
    for n, passage in enumerate(passages, 1):
        for start, end in split_sentences(passage.text):
            key = passage.text[start:end].strip()
            if key not in seen:
                seen.add(key)
                sentences.append((n, start, end))
    return sentences


def _passage_relevance(passages: list[Passage]) -> list[float]:
    """Each passage's retrieval score relative to the best one (1.0 for the best)."""
    best = max((p.score for p in passages), default=0.0)
    return [p.score / best if best > 0 else 1.0 for p in passages]


def _excerpts(passages: list[Passage], chosen: list[tuple[int, int, int]]) -> list[Excerpt]:
    excerpts = []
    for n in sorted({n for n, _, _ in chosen}):
        text = passages[n - 1].text
        spans = sorted((s, e) for m, s, e in chosen if m == n)
        joined = text[spans[0][0] : spans[0][1]].strip()
        for (_, previous_end), (start, end) in zip(spans, spans[1:]):
            gap = " " if not text[previous_end:start].strip() else " … "  # mark what was skipped
            joined += gap + text[start:end].strip()
        excerpts.append(Excerpt(n, joined))
    return excerpts


class SelectEvidence:
    """The passages the model reads, reordered by their best sentence, and the sentences of
    them it reads.

    Reads: question, passages, candidates, order. Fills: passages and candidates (reordered),
    evidence. A question asking for the latest or oldest article keeps the passages retrieval
    ranked by date (reordered among themselves, no later candidate taking their place). With a
    `model`, the sentences of the first `pool` candidates are scored by it and the passages may
    change (`select_learned`); without, the passages are reordered by
    fused score + `rerank_weight` x their best cosine and sentences chosen by cosine (`rerank`,
    `select`). It runs after the passage gate, which does not depend on the order: a question
    that gate refuses does not pay for embedding the passages' sentences."""

    name = "evidence"
    reads = ("question", "passages", "candidates", "order")
    fills = ("passages", "candidates", "evidence")

    def __init__(
        self, relevance: Relevance, max_chars: int, rerank_weight: float, model: EvidenceModel | None = None, pool: int = 0, reader: ReadSentences | None = None
    ) -> None:
        self.relevance = relevance
        self.max_chars, self.rerank_weight = max_chars, rerank_weight
        self.model, self.pool, self.reader = model, pool, reader

    def run(self, query: Query) -> Decision:
        given = query.passages
        if self.model is None:
            scored = rerank(query.question, given, self.relevance, self.rerank_weight)
            query.evidence = select(query.question, scored, self.max_chars, self.relevance)
        else:
            more = [] if query.order else [c for c in query.candidates if all(c is not p for p in given)]
            pool = given + more[: max(self.pool - len(given), 0)]
            scored, query.evidence = select_learned(query.question, given, pool, self.max_chars, self.relevance, self.model, self.reader)
        query.candidates = scored + [c for c in query.candidates if all(c is not p for p in scored)]
        query.passages = scored[: len(given)]
        excerpts = [{"n": n, "text": text} for n, text in query.evidence.excerpts]
        details = {
            "selector": "cosine" if self.model is None else "learned" if self.reader is None else "reader",
            "order": [{"article_id": p.article_id, "start": p.start} for p in query.passages],
            "ranking": [p.article_id for p in query.candidates[:TRACED]],
            "excerpts": excerpts,
            "chars": sum(len(e["text"]) for e in excerpts),
            # the sentences read, the surest first: offsets in passage n's text; the score that chose
            # them is the learned share, or the cosine weighted by the passage's rank
            "sentences": [_traced(c) for c in query.evidence.chosen],
        }
        if query.evidence.reader_best is not None:
            details["reader_best"] = round(query.evidence.reader_best, 4)  # over every sentence it read
        return Decision(f"{len(excerpts)} excerpts", details)


def traced_chosen(traced: dict) -> Chosen:
    """A chosen sentence back from its trace (`_traced`)."""
    read = (traced.get("probability"), tuple(traced["span"]) if traced.get("span") else None, traced.get("span_probability", 0.0))
    return Chosen(traced["n"], traced["start"], traced["end"], traced["cosine"], traced["score"], *read)


def _traced(chosen: Chosen) -> dict:
    traced = {"n": chosen.n, "start": chosen.start, "end": chosen.end, "cosine": round(chosen.relevance, 4), "score": round(chosen.score, 4)}
    if chosen.probability is not None:
        traced.update(probability=round(chosen.probability, 4), span=list(chosen.span), span_probability=round(chosen.span_probability, 4))
    return traced
