"""What the assistant may ask of a store, and what every store guarantees in return.

The assistant, ingest, `migrate`, the app and the lab see a store through these methods only;
`tests/test_store_contract.py` holds every store to them. A store is opened from a location
(`open_location`: a folder, a postgresql:// URL, memory://) with the embedding model, its
identity and the chunking; the first write fixes those in the store's manifest (`records`).

Guarantees every store gives:
- a write is atomic: once it returns, all of it is visible; if it raises, none of it is, and
  the store holds what it held before. Writers to one location take turns (no lost writes).
- a read sees every write committed before it began, by this object, another object on the
  same location or another process: a reader never has to reopen the store. (A store read
  through replicas makes `write` return once they have replayed it.)
- an article whose content hash the store already holds is not written again ("unchanged");
  one whose hash differs replaces the old one whole: its old chunks are gone ("replaced").
- chunks written without vectors are found by `keywords` at once and by `dense` once
  `set_vectors` has given them theirs.
- the manifest names the embedding model (and its query and passage prefixes): opening a store
  with another one raises `IndexStoreError` naming both, since their vectors do not compare.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Literal, Protocol, runtime_checkable

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore, TextNode

from ..types import Article
from .records import Recorded

WriteStatus = Literal["added", "replaced", "unchanged"]

# What `info` holds in every store (`Assistant.info` shows them); a store may add its own.
INFO_KEYS = frozenset({"index", "articles", "chunks", "waiting_for_vectors", "vector_search", "bytes_on_disk"})

# What the manifest holds in every store (`records.new_manifest`).
MANIFEST_KEYS = frozenset({"format", "embed_model", "query_prefix", "passage_prefix", "language", "dimension", "chunking", "versions"})


@runtime_checkable
class Store(Protocol):
    """An index of articles' chunks, searched by vector and by keyword."""

    def articles(self) -> dict[str, dict]:
        """Article id -> its record: every field of the `Article` but its text, plus `hash`
        (the content hash), `chars` (the text's length) and `node_ids` (its chunks' ids). The
        caller must not change what it gets."""
        ...

    def records(self, ids: Collection[str]) -> dict[str, dict]:
        """The records (as `articles` has them) of those of `ids` that are stored, read without
        reading the others'."""
        ...

    def duplicate_candidates(self, signatures: Sequence[Sequence[int]]) -> dict[str, dict]:
        """The records of the stored articles whose MinHash signature (their record's `minhash`)
        shares an LSH band (`bands`) with any of `signatures`: every article datasketch's
        `MinHashLSH`, holding them all, would find for one of them, and possibly a few more (the
        caller checks each: `ingest.duplicates`). Found by the bands kept with each write, in
        time that grows with what is found, not with the store. Articles stored without a
        signature are never among them."""
        ...

    def status(self, article: Article) -> WriteStatus:
        """What writing `article` now would do: 'added' (a new id), 'unchanged' (the same
        content hash is stored) or 'replaced'."""
        ...

    def write(self, put: Sequence[tuple[Article | Recorded, list[TextNode]]] = (), remove: Sequence[str] = ()) -> None:
        """Add or replace the articles of `put` with their chunks' nodes, and remove the
        articles `remove` names (unknown ids are ignored), as one atomic commit.

        Args:
            put: (article, its nodes from `records.make_nodes`); a node without an embedding
                waits for `set_vectors`. An article whose content hash is stored is skipped.
            remove: ids of the articles to delete with their chunks.

        Raises:
            IndexStoreError: the store was made with another embedding model, or is damaged.
        """
        ...

    def waiting(self, limit: int = ...) -> list[TextNode]:
        """Chunks written without vectors, what background embedding does next: the oldest
        first, about `limit` of them (a store may hand out its own unit of work instead), and
        none once every chunk has its vector. Give their vectors to `set_vectors`."""
        ...

    def set_vectors(self, vectors: dict[str, list[float]]) -> int:
        """Attach vectors (node id -> vector) to chunks written without them, as one atomic
        commit; unknown ids and chunks that have one already are ignored. Returns how many
        chunks became searchable by `dense` (a store may wait until a whole unit of them has
        its vectors)."""
        ...

    def dense(self, question: str, k: int, among: Collection[str] | None = None) -> list[NodeWithScore]:
        """The k chunks whose vectors are closest to the question's query embedding, best
        first, scored by cosine (exactly, or by an approximate index tuned for recall on a
        large store). Chunks still waiting for vectors are not seen.

        Args:
            question: the text embedded as a query.
            k: how many at most.
            among: only chunks of these article ids (empty: none); None: all.
        """
        ...

    def keywords(self, question: str, k: int, among: Collection[str] | None = None) -> list[NodeWithScore]:
        """The k chunks that best match the question's words, best first: BM25 over
        `records.keyword_text` (the title with the passage) with French stemming, scores above
        zero only; a question without a word finds nothing. `among` as in `dense`."""
        ...

    @property
    def manifest(self) -> dict:
        """How the store's vectors were made (`MANIFEST_KEYS`): format, embedding model, query
        and passage prefixes, dimension, chunking, package versions. Fixed by the first write."""
        ...

    def writer(self) -> str | None:
        """Who holds the store's write lock now (a process id: the folder's, the server's
        backend), None when nobody writes: what a health check reports."""
        ...

    def info(self) -> dict:
        """What `assistant info` shows of the store: at least `INFO_KEYS` (where it is, with
        any password hidden; articles; chunks; chunks waiting for vectors; the vector search in
        words; bytes it takes), and whatever else the store has to say (segments, replicas)."""
        ...

    def damaged(self) -> list[dict]:
        """What the store cannot read now and leaves out of every read, one dict per damaged
        part: {segment, reason, articles (their ids, None where they cannot be read), repair (the
        command that repairs it)}; empty when the store is whole (PostgreSQL and memory always).
        While it is not, reads are answered from the rest and writes raise `IndexStoreError`
        naming the repair. Cheap: read before every question."""
        ...


NAMED = 5  # articles a damage message names before counting the rest


def damage_message(damaged: list[dict]) -> str:
    """What `Store.damaged` reports, in one sentence: how many articles cannot be read, where,
    why, and the command that repairs it (the warning, a refused write, the answer's trace)."""
    named = [article_id for entry in damaged for article_id in entry["articles"] or ()]
    unknown = any(entry["articles"] is None for entry in damaged)
    if unknown:
        count = f"{len(named)} articles or more" if named else "articles whose ids cannot be read"
    else:
        count = f"{len(named)} article{'' if len(named) == 1 else 's'}"
    if named:  # a few named, for a person to know what is missing; `damaged` lists them all
        count += f" ({', '.join(named[:NAMED])}{f' and {len(named) - NAMED} more' if len(named) > NAMED else ''})"
    where = "; ".join(f"segment {entry['segment']} ({entry['reason']})" for entry in damaged)
    return f"{count} unavailable: {where}: run `{damaged[0]['repair']}`"


# Opens the store at a location: (where, embedding model, its identity, chunking) -> the store.
Opener = Callable[[str, BaseEmbedding, dict, dict], Store]
