"""The keyword (BM25) index of the chunks, with French stemming: built, saved and loaded.

Building it tokenizes and stems every chunk: 1.4-2.3 s at 10,000 chunks and 17 s at 100,000 on two
cores (`assistant bench`). So it is built once per change of the index and saved beside the
vectors, and opening an index loads it (0.1 s and 1.0-1.6 s) instead of building it again."""

from __future__ import annotations

from pathlib import Path

from llama_index.core.schema import BaseNode

FOLDER = "keywords"  # inside an index version folder
LANGUAGE = "french"


def build(nodes: list[BaseNode]):
    """A BM25 retriever over `nodes` (None when there are none: BM25 needs a corpus)."""
    from llama_index.retrievers.bm25 import BM25Retriever

    if not nodes:
        return None
    return BM25Retriever.from_defaults(nodes=nodes, stemmer=_stemmer(), language=LANGUAGE)


def save(retriever, version: Path) -> None:
    if retriever is not None:
        retriever.bm25.save(str(version / FOLDER), corpus=retriever.corpus, show_progress=False)


def load(version: Path):
    """The retriever saved in `version`, or None when it holds none (an index saved before
    keywords were saved, or an empty one)."""
    import bm25s
    from llama_index.retrievers.bm25 import BM25Retriever

    folder = version / FOLDER
    if not folder.is_dir():
        return None
    # llama-index's own from_persist_dir forgets the stemmer and would stem questions in English.
    saved = bm25s.BM25.load(str(folder), load_corpus=True, show_progress=False)
    return BM25Retriever(existing_bm25=saved, stemmer=_stemmer(), language=LANGUAGE)


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer(LANGUAGE)
