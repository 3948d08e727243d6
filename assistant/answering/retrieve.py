"""Question -> ranked Passages: dense (the store's vectors) and BM25 with French stemming, fused
by score."""

from __future__ import annotations

from llama_index.core.schema import NodeWithScore

from ..errors import IndexStoreError
from ..store.contract import Store, damage_message
from ..types import Passage
from .pipeline import Decision
from .query import Query

TRACED = 10  # passages listed in the trace: the evaluation's recall@10 reads them


class Retrieve:
    """The passages that best match the question, best first.

    Reads: question, among, order. Fills: retrieved and candidates (every fused passage),
    passages (the first `top_k`). The dense cosine of each passage rides along: it is what tells
    whether the articles cover the question at all (llama-index's QueryFusionRetriever fuses the
    same way but keeps only the fused score). With an order (« le plus récent »), the articles on
    the subject come newest (or oldest) first. A store with a damaged part answers from the rest,
    and the trace says what is unavailable and the command that repairs it."""

    name = "retrieve"
    reads = ("question", "among", "order")
    fills = ("retrieved", "candidates", "passages")

    def __init__(self, store: Store, top_k: int, candidates: int, dense_weight: float) -> None:
        self._store = store
        self._top_k, self._candidates, self._dense_weight = top_k, candidates, dense_weight

    def run(self, query: Query) -> Decision:
        damaged = self._store.damaged()  # answered from the intact part meanwhile, and the trace says so
        if not self._store.articles():
            raise IndexStoreError(damage_message(damaged) if damaged else "the index is empty: add articles first (`assistant ingest FILES`)")
        among = {"among": query.among} if query.among is not None else {}  # only then: a store may not filter
        dense = self._store.dense(query.question, self._candidates, **among)
        sparse = self._store.keywords(query.question, self._candidates, **among)
        fused = relative_score_fusion([(dense, self._dense_weight), (sparse, 1 - self._dense_weight)])
        cosine = {hit.node.node_id: float(hit.score or 0.0) for hit in dense}
        query.candidates = [passage_of(hit, score, cosine.get(hit.node.node_id, 0.0)) for hit, score in fused]
        if query.order:
            query.candidates = by_date(query.candidates, newest=query.order == "latest")
        query.retrieved, query.passages = list(query.candidates), query.candidates[: self._top_k]
        details = {"passages": traced(query.candidates), **({"damaged": damage_message(damaged)} if damaged else {})}
        return Decision(f"found {len(query.candidates)}", details)


ON_SUBJECT = 0.5  # of the best fused score: an article this close is about the question's subject


def by_date(passages: list[Passage], newest: bool = True) -> list[Passage]:
    """The passages of the articles on the subject (a passage within ON_SUBJECT of the best),
    article by article, the newest article first (or the oldest); undated ones and the rest
    after, as ranked."""
    best = max((p.score for p in passages), default=0.0)
    on_subject = [p for p in passages if p.score >= ON_SUBJECT * best]
    dated = sorted({p.article_id: p.date for p in on_subject if p.date}.items(), key=lambda item: item[1], reverse=newest)
    first = [p for article_id, _ in dated for p in on_subject if p.article_id == article_id]
    return first + [p for p in passages if p not in first]


def traced(passages: list[Passage]) -> list[dict]:
    """The first passages as the trace lists them: which chunk, and its scores."""
    return [{"article_id": p.article_id, "start": p.start, "score": p.score, "cosine": p.dense_score} for p in passages[:TRACED]]


def relative_score_fusion(rankings: list[tuple[list[NodeWithScore], float]]) -> list[tuple[NodeWithScore, float]]:
    """Merge rankings by their scores scaled to 0..1 within each ranking, then weighted.

    Measured on the PIAF dev split (615 questions): MRR 0.878 against 0.858 for reciprocal-rank
    fusion, 0.827 for dense alone and 0.833 for BM25 alone: scores keep how much better the
    first hit is than the next, which ranks throw away."""
    scores: dict[str, float] = {}
    first_seen: dict[str, NodeWithScore] = {}
    for ranking, weight in rankings:
        if not ranking:
            continue
        values = [float(hit.score or 0.0) for hit in ranking]
        low, high = min(values), max(values)
        for hit, value in zip(ranking, values):
            node_id = hit.node.node_id
            scaled = (value - low) / (high - low) if high > low else 1.0
            scores[node_id] = scores.get(node_id, 0.0) + weight * scaled
            first_seen.setdefault(node_id, hit)
    ordered = sorted(scores, key=lambda node_id: scores[node_id], reverse=True)
    return [(first_seen[node_id], scores[node_id]) for node_id in ordered]


def passage_of(hit: NodeWithScore, score: float, cosine: float) -> Passage:
    """The Passage a search hit stands for, with its fused score and dense cosine."""
    meta = hit.node.metadata
    return Passage(
        article_id=meta["article_id"],
        title=meta["title"],
        text=hit.node.get_content(),
        start=int(meta["start"]),
        end=int(meta["end"]),
        score=score,
        dense_score=cosine,
        source=meta.get("source"),
        date=meta.get("date"),
        url=meta.get("url"),
    )
