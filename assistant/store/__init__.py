"""The index: chunk texts, their vectors and keywords, and the record of the articles ingested.

`local.FolderStore` is what the assistant reads and writes; `folder` is the versioned folder
format under it (FAISS through llama-index, a BM25 index, a manifest), `layouts` lays the FAISS
vectors out by size, `keywords` builds, saves and loads the BM25 index."""

from .folder import ArticleIndex, check_compatible, content_hash, live_version, make_nodes
from .local import FolderStore

__all__ = ["ArticleIndex", "FolderStore", "check_compatible", "content_hash", "live_version", "make_nodes"]
