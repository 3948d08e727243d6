"""The store the assistant reads and writes, over a local index folder (`folder.ArticleIndex`).

The assistant sees a store through these methods only (articles, status, write, dense,
keywords, info), so that another store can stand in for this one."""

from __future__ import annotations

import threading
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore, TextNode

from ..types import Article
from .folder import ArticleIndex, live_version


class FolderStore:
    """An index folder opened for reading and writing by one process."""

    def __init__(self, index_dir: Path, embed_model: BaseEmbedding, identity: dict, chunking: dict) -> None:
        self.index_dir = Path(index_dir)
        self._embed, self._identity, self._chunking = embed_model, identity, chunking
        self._lock = threading.Lock()  # one writer at a time in this process
        self._index = self._open()

    # -- reading ------------------------------------------------------------------------------

    def articles(self) -> dict[str, dict]:
        """Article id -> {title, source, date, url, hash, chars, node_ids}."""
        return self._index.articles

    def status(self, article: Article) -> str:
        """'unchanged', 'replaced' or 'added': what writing this article would do."""
        return self._index.status(article)

    def dense(self, question: str, k: int, among=None) -> list[NodeWithScore]:
        """The k chunks whose vectors are closest to the question's, best first (cosine scores);
        only those of the articles `among` when given."""
        hits = self._index.index.as_retriever(similarity_top_k=self._wide(k, among)).retrieve(question)
        return _among(hits, among, k)

    def keywords(self, question: str, k: int, among=None) -> list[NodeWithScore]:
        """The k chunks that best match the question's words (BM25, French stemming), best first."""
        bm25 = self._index.keywords
        if bm25 is None:
            return []
        bm25.similarity_top_k = min(self._wide(k, among), len(bm25.corpus))  # BM25 fails asking for more than it holds
        return _among(bm25.retrieve(question), among, k)

    def _wide(self, k: int, among) -> int:
        """How many chunks to search for so that k of `among`'s articles are among them: all of
        them when restricted (this store filters after searching)."""
        return k if among is None else max(k, self._index.chunk_count)

    @property
    def manifest(self) -> dict:
        return self._index.manifest

    def info(self) -> dict:
        """What `assistant info` shows of the store."""
        version = live_version(self.index_dir)
        return {
            "index": str(self.index_dir),
            "articles": len(self._index.articles),
            "chunks": self._index.chunk_count,
            "vector_search": self._index.layout,
            "bytes_on_disk": sum(f.stat().st_size for f in version.rglob("*") if f.is_file()) if version else 0,
        }

    # -- writing ------------------------------------------------------------------------------

    def write(self, put: list[tuple[Article, list[TextNode]]] = (), remove: list[str] = ()) -> None:
        """Add (or replace) articles with their embedded nodes and remove others, as one change:
        it is on disk whole when this returns, and an error leaves the previous index in place."""
        with self._lock:
            index = self._index
            try:
                for article_id in remove:
                    index.remove(article_id)
                for article, nodes in put:
                    index.put(article, nodes)
                index.refit()
                index.save(self.index_dir)
            except BaseException:
                self._index = self._open()  # memory may hold half of the change; the disk does not
                raise

    def _open(self) -> ArticleIndex:
        if live_version(self.index_dir) is not None:
            return ArticleIndex.load(self.index_dir, self._embed, self._identity)
        return ArticleIndex.empty(self._embed, self._identity, self._chunking)


def _among(hits: list[NodeWithScore], among, k: int) -> list[NodeWithScore]:
    if among is None:
        return hits[:k]
    return [hit for hit in hits if hit.node.metadata["article_id"] in among][:k]
