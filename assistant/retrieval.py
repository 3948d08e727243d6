"""Question -> ranked Passages: dense (FAISS) and BM25 with French stemming, fused by rank."""

from __future__ import annotations

from llama_index.core.schema import NodeWithScore

from .store import ArticleIndex
from .types import Passage

RRF_K = 60  # the usual reciprocal-rank-fusion constant: dampens the weight of the very top ranks


class Retriever:
    """Hybrid retrieval over an ArticleIndex. Build a new one after the index changes."""

    def __init__(self, store: ArticleIndex, candidates: int = 20) -> None:
        import Stemmer
        from llama_index.retrievers.bm25 import BM25Retriever

        nodes = store.nodes()
        self._dense = store.index.as_retriever(similarity_top_k=candidates)
        self._sparse = (
            BM25Retriever.from_defaults(
                nodes=nodes,
                similarity_top_k=min(candidates, len(nodes)),
                stemmer=Stemmer.Stemmer("french"),
                language="french",
            )
            if nodes
            else None
        )

    def retrieve(self, question: str, k: int) -> list[Passage]:
        """The k best passages, best first. Dense scores ride along to judge relevance later.

        llama-index's QueryFusionRetriever fuses the same way but keeps only the fused score,
        and the cosine similarity is what tells whether the articles cover the question at all.
        """
        if self._sparse is None:
            return []
        dense = self._dense.retrieve(question)
        sparse = self._sparse.retrieve(question)
        fused = reciprocal_rank_fusion([dense, sparse])
        cosine = {hit.node.node_id: float(hit.score or 0.0) for hit in dense}
        return [_passage(hit, score, cosine.get(hit.node.node_id, 0.0)) for hit, score in fused[:k]]

    def best_similarity(self, question: str) -> float:
        hits = self._dense.retrieve(question)
        return float(hits[0].score) if hits else 0.0


def reciprocal_rank_fusion(rankings: list[list[NodeWithScore]], k: int = RRF_K) -> list[tuple[NodeWithScore, float]]:
    """Merge rankings: each hit earns 1 / (k + rank) from every ranking it appears in."""
    scores: dict[str, float] = {}
    first_seen: dict[str, NodeWithScore] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, 1):
            node_id = hit.node.node_id
            scores[node_id] = scores.get(node_id, 0.0) + 1.0 / (k + rank)
            first_seen.setdefault(node_id, hit)
    ordered = sorted(scores, key=lambda node_id: scores[node_id], reverse=True)
    return [(first_seen[node_id], scores[node_id]) for node_id in ordered]


def _passage(hit: NodeWithScore, score: float, cosine: float) -> Passage:
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
