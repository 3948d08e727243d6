"""`assistant migrate --from DIR --to URL`: copy an index into another store without embedding
again: the article records, chunk texts and vectors as they are, under the same manifest.

The source is an index folder, of this format or of the one before it (format 1: llama-index's
storage context, one version folder per save); the target, a PostgreSQL URL or a new folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import TextNode

from ..errors import IndexStoreError, InputError
from . import folder, folder_path, open_location, scheme_of
from .records import FORMAT_VERSION, Recorded, chunk_node, keyword_language

BATCH_CHUNKS = 4096  # written per transaction (per segment in a folder)


class FixedDimension(BaseEmbedding):
    """Stands in for the embedding model when nothing is embedded: a store asks it only for the
    dimension of its vectors (the source's), and anything else is a mistake."""

    dimension: int = 0

    def _get_query_embedding(self, query: str) -> list[float]:
        if query != "dimension":
            raise IndexStoreError("a migration does not embed: this store asked for a vector")
        return [0.0] * self.dimension

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_query_embedding(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


def migrate(source: Path, target: str, progress: bool = False) -> dict:
    """Copy every article of the index folder `source` into the store `target` (a postgresql://
    URL or a folder); returns what was copied. Articles the target holds already with the same
    content hash are left as they are, so a migration cut short can be run again."""
    from tqdm import tqdm

    manifest, articles = read_folder(Path(source))
    identity = {**{key: manifest[key] for key in ("embed_model", "query_prefix", "passage_prefix")}, "language": keyword_language(manifest)}
    stand_in = FixedDimension(dimension=manifest["dimension"], model_name=manifest["embed_model"])
    if scheme_of(target) == "folder" and folder_path(target).resolve() == Path(source).resolve():
        raise InputError("--from and --to name the same folder: give a new folder or a postgresql:// URL")
    store = open_location(target, stand_in, identity, manifest["chunking"])
    copied = {"articles": 0, "chunks": 0, "waiting_for_vectors": 0}
    batch, size = [], 0
    with tqdm(desc="Copying", unit="article", disable=not progress) as bar:
        for article_id, record, nodes in articles:
            batch.append((Recorded(article_id, record), nodes))
            size += len(nodes)
            copied["articles"] += 1
            copied["chunks"] += len(nodes)
            copied["waiting_for_vectors"] += sum(node.embedding is None for node in nodes)
            if size >= BATCH_CHUNKS:
                store.write(put=batch)
                bar.update(len(batch))
                batch, size = [], 0
        if batch:
            store.write(put=batch)
            bar.update(len(batch))
    return copied


def read_folder(source: Path) -> tuple[dict, Iterator[tuple[str, dict, list[TextNode]]]]:
    """The manifest of an index folder and its articles: (id, record, nodes with their vectors)."""
    manifest = folder.read_manifest(source)
    if manifest is None:
        legacy = _legacy_version(source)
        if legacy is None:
            raise IndexStoreError(f"no index in {source}: give the folder of an index (`assistant info --index DIR` shows one)")
        return _legacy(legacy)
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexStoreError(f"the index in {source} has format {manifest.get('format')}, which this version cannot read")
    return manifest, _segments(source)


def _segments(source: Path) -> Iterator[tuple[str, dict, list[TextNode]]]:
    name = folder.live_catalog(source)
    if name is None:
        return
    for entry in folder.Catalog.read(source, name).segments:
        segment = folder.Segment.load(source, entry["name"], entry["embedded"])
        for article_id, rows in segment.rows().items():
            if article_id in entry["removed"]:
                continue
            nodes = []
            for row in rows:
                chunk = segment.chunks[row]
                node = chunk_node(chunk["id"], chunk["text"], chunk["metadata"])
                node.embedding = None if segment.vectors is None else np.asarray(segment.vectors[row], dtype=np.float32).tolist()
                nodes.append(node)
            yield article_id, segment.articles[article_id], nodes


def _legacy_version(source: Path) -> Path | None:
    """The live version folder of a format-1 index (a `CURRENT` file naming a `v-…` folder)."""
    try:
        name = (source / folder.POINTER).read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    version = source / name
    return version if name.startswith("v-") and (version / "manifest.json").is_file() else None


def _legacy(version: Path) -> tuple[dict, Iterator[tuple[str, dict, list[TextNode]]]]:
    """Format 1: llama-index's docstore for the chunks, FAISS (with its id map) for the vectors."""
    import faiss

    from .layouts import contents

    manifest = json.loads((version / "manifest.json").read_text())
    articles = json.loads((version / "articles.json").read_text())
    docs = json.loads((version / "docstore.json").read_text())["docstore/data"]
    faiss_ids = json.loads((version / "id_map.json").read_text())["node_id_to_faiss_id_map"]
    vectors, ids = contents(faiss.read_index(str(version / "default__vector_store.json")))
    row_of = {int(i): row for row, i in enumerate(ids.tolist())}
    manifest = {**manifest, "format": FORMAT_VERSION}

    def articles_with_nodes():
        for article_id, record in articles.items():
            nodes = []
            for node_id in record["node_ids"]:
                data = docs[node_id]["__data__"]
                node = chunk_node(node_id, data["text"], data["metadata"])
                row = row_of.get(faiss_ids.get(node_id, -1))
                node.embedding = None if row is None else vectors[row].tolist()
                nodes.append(node)
            yield article_id, {k: v for k, v in record.items()}, nodes

    return manifest, articles_with_nodes()
