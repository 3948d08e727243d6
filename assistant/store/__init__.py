"""The index: chunk texts, their vectors and keywords, and the record of the articles ingested.

`local.FolderStore` is what the assistant reads and writes; `folder` is the segmented folder
format under it, `vectors` the FAISS index over its segments (laid out by `layouts`), `keywords`
the BM25 term counts kept per segment, `lock` the folder's writer lock."""

from .folder import check_compatible, content_hash, make_nodes
from .local import FolderStore

__all__ = ["FolderStore", "check_compatible", "content_hash", "make_nodes"]
