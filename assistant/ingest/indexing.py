"""Articles into the store: chunked, embedded when new or changed, written as one change.

A small ingest is embedded first and written whole. A large one is written first without
vectors, so that its articles are found by keywords within seconds, then embedded a segment at
a time with a progress bar: each segment's vectors are committed as they come, and what a killed
ingest left unembedded is picked up by the next one (the queue is the store itself)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import MetadataMode, TextNode

from ..errors import InputError
from ..store.contract import Store
from ..store.records import make_nodes
from ..types import Article, IngestReport
from .chunking import chunk_text
from .duplicates import DuplicateIndex, minhash_signature
from .loaders import find_files, load_file


def read_paths(paths: list[str | Path], progress: bool = False, names: dict[str, str] | None = None) -> tuple[list[Article], list[tuple[str, str]]]:
    """The articles of files and folders, and the files or records rejected with the reason.

    Args:
        paths: files or folders (searched recursively).
        progress: show a progress bar on the terminal.
        names: display names for paths (uploads arrive under temporary names).
    """
    from tqdm import tqdm

    files = find_files(paths)
    articles: list[Article] = []
    rejected: list[tuple[str, str]] = []
    for path in tqdm(files, desc="Reading", unit="file", disable=not progress or len(files) < 5):
        loaded = load_file(path, (names or {}).get(str(path)))
        articles.extend(loaded.articles)
        rejected.extend(loaded.rejected)
    return articles, rejected


# Ingests of at least this many chunks are searchable by keywords before they are embedded
# (about 15-25 s of embedding with e5-onnx on two cores: below that, waiting costs little).
KEYWORDS_FIRST_FROM = 256
EMBED_BATCH = 64  # texts per embedding call: the progress bar moves this often


class Indexer:
    """Writes articles into a store with their chunks' vectors."""

    def __init__(self, store: Store, embed_model: BaseEmbedding, chunk_chars: int, overlap_chars: int, keywords_first_from: int = KEYWORDS_FIRST_FROM) -> None:
        self.store = store
        self._embed = embed_model
        self._chunk_chars, self._overlap_chars = chunk_chars, overlap_chars
        self._keywords_first_from = keywords_first_from

    def ingest(self, articles: list[Article], progress: bool = False, rejected: list | None = None) -> IngestReport:
        """Add articles; unchanged ones are skipped, changed ones replaced, all in one write."""
        report = IngestReport(rejected=list(rejected or []))
        pending: list[tuple[Article, list[TextNode]]] = []
        seen: set[str] = set()
        for article in articles:
            if article.id in seen:
                report.rejected.append((article.id, "the same article id appears twice in this ingest"))
                continue
            seen.add(article.id)
            status = self.store.status(article)
            if status == "unchanged":
                report.unchanged.append(article.id)
                continue
            chunks = chunk_text(article.text, self._chunk_chars, self._overlap_chars)
            pending.append((article, make_nodes(article, chunks)))
            (report.added if status == "added" else report.replaced).append(article.id)
        pending = self._grouped(pending)
        chunks = sum(len(nodes) for _, nodes in pending)
        if pending and chunks < self._keywords_first_from:
            self._embed_nodes([node for _, nodes in pending for node in nodes], progress)
            self.store.write(put=pending)
        elif pending:
            self.store.write(put=pending)  # found by keywords from now on
        self.embed_waiting(progress)  # this ingest's chunks, and any a killed ingest left
        return replace(report, chunks_added=chunks)

    def embed_waiting(self, progress: bool = False) -> int:
        """Embed the chunks the store holds without vectors, committing each batch the store
        hands out; returns how many became searchable by vector."""
        from tqdm import tqdm

        nodes = self.store.waiting()  # asked first: `info` counts the whole store
        if not nodes:
            return 0
        total = self.store.info().get("waiting_for_vectors", 0)
        done, last = 0, None
        with tqdm(total=total, desc="Embedding", unit="chunk", disable=not progress) as bar:
            while nodes:
                if nodes[0].id_ == last:  # handed out again unchanged: another writer holds it
                    break
                last = nodes[0].id_
                vectors = {}
                for start in range(0, len(nodes), EMBED_BATCH):
                    batch = nodes[start : start + EMBED_BATCH]
                    self._embed_nodes(batch, False)
                    vectors.update((node.id_, node.embedding) for node in batch)
                    bar.update(len(batch))
                done += self.store.set_vectors(vectors)
                nodes = self.store.waiting()
        return done

    def _grouped(self, pending: list[tuple[Article, list[TextNode]]]) -> list[tuple[Article, list[TextNode]]]:
        """Each article with its story (the first copy indexed of the same wire story, if any)
        and its signature, compared with those stored and with each other (`duplicates`). Only
        the stored articles that share an LSH band with one of these are read: the others could
        not be found by any of them."""
        if not pending:
            return pending
        signatures = [minhash_signature(article.text) for article, _ in pending]
        records = self.store.duplicate_candidates(signatures)
        index = DuplicateIndex.from_records({i: (list(r["minhash"]), r.get("story")) for i, r in records.items() if r.get("minhash")})
        grouped = []
        for (article, nodes), values in zip(pending, signatures):
            found = index.assign(article.id, signature=values)
            story = found.group if found.group != article.id else None
            grouped.append((replace(article, story=story, minhash=tuple(found.signature)), nodes))
        return grouped

    def remove(self, article_id: str) -> None:
        if not self.store.records([article_id]):
            raise InputError(f"no article {article_id!r} in the index: `assistant info --articles` lists them")
        self.store.write(remove=[article_id])

    def _embed_nodes(self, nodes: list[TextNode], progress: bool) -> None:
        texts = [node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes]
        vectors = self._embed.get_text_embedding_batch(texts, show_progress=progress)
        for node, vector in zip(nodes, vectors):
            node.embedding = vector
