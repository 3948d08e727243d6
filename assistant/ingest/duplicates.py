"""Near-duplicate articles (the same wire copy on several sites, an article updated and ingested
again under another address) found with MinHash signatures (datasketch), and grouped under one
canonical article id, so that a story is cited once with its other copies listed.

A signature is NUM_PERM integers, kept in the article's record (`minhash_signature(text)`). The
stores keep the LSH bands of every stored signature (`store.bands`); an ingest builds the index of
the stored articles that share a band with what it adds (`Store.duplicate_candidates`, then
`DuplicateIndex.from_records`), which finds what an index of every stored article would. The parameters
were chosen by measurement on the real pages of ../shared/news (docs/news.md): 5-word shingles,
128 permutations, grouped from an estimated Jaccard similarity of 0.5. Lightly edited copies
(a paragraph added, a figure updated, a site's own boilerplate) score 0.6-0.95; articles by
different outlets on the same story, even quoting the same sentences, score under 0.15."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from ..errors import InputError
from ..text import WORD, fold

SHINGLE_WORDS = 5  # words per shingle: 3 makes common phrases shared by unrelated articles
NUM_PERM = 128  # permutations: the estimate's standard error is 0.044 at a similarity of 0.5
THRESHOLD = 0.5  # estimated Jaccard similarity from which two articles are copies of one
# A teaser (the first paragraphs of a paywalled or cut copy) is much smaller than the article:
# its similarity is low (0.3 for a third) but it is all inside the article. It is a copy when at
# least CONTAINED of it is, and its similarity is still MIN_SIMILARITY (a two-sentence brief
# quoted whole by a long article is another article).
CONTAINED = 0.9
MIN_SIMILARITY = 0.2
SEED = 1
# datasketch 2 changed its default scheme (and so every hash value): naming it keeps stored
# signatures comparable with new ones; stored ones made otherwise are refused, not misread.
SCHEME = "affine32"
SIGNATURE_KIND = f"minhash/{SCHEME}/seed{SEED}/perm{NUM_PERM}/words{SHINGLE_WORDS}"


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """The text's runs of `size` consecutive words, folded (case and accents do not count, nor
    punctuation, spacing or paragraphing: sites retype wire copy)."""
    words = [fold(w) for w in WORD.findall(text)]
    if len(words) <= size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


def minhash_signature(text: str) -> list[int]:
    """The MinHash signature of a text: NUM_PERM integers under 2**32, JSON-able as they are."""
    return [int(v) for v in _minhash(shingles(text)).hashvalues]


def similarity(a: list[int], b: list[int]) -> float:
    """The estimated Jaccard similarity of the shingles of two texts, from their signatures."""
    if len(a) != len(b):
        raise InputError(f"signatures of {len(a)} and {len(b)} values cannot be compared: recompute them with minhash_signature()")
    return sum(x == y for x, y in zip(a, b)) / len(a) if a else 0.0


def containment(a: list[int], b: list[int]) -> float:
    """The estimated share of the smaller text's shingles that are in the other one: from the
    similarity J and the sizes MinHash estimates, |A & B| = J (|A| + |B|) / (1 + J)."""
    jaccard = similarity(a, b)
    sizes = sorted(_minhash_of(values).count() for values in (a, b))
    return min(1.0, jaccard * (sizes[0] + sizes[1]) / ((1 + jaccard) * sizes[0])) if sizes[0] > 0 else 0.0


def is_copy(a: list[int], b: list[int], threshold: float = THRESHOLD) -> bool:
    """Whether two signatures are of one article: similar enough, or one a teaser of the other."""
    jaccard = similarity(a, b)
    return jaccard >= threshold or jaccard >= MIN_SIMILARITY and containment(a, b) >= CONTAINED


@dataclass(frozen=True)
class Grouping:
    """Where an added article belongs: its group's canonical id (its own when it has no copy),
    its signature to store, and the copies already indexed with their similarity."""

    group: str
    signature: list[int]
    copies: list[tuple[str, float]] = field(default_factory=list)


class DuplicateIndex:
    """The signatures of the indexed articles, looked up by locality-sensitive hashing."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        from datasketch import MinHashLSH

        self.threshold = threshold
        # Candidates from the lowest similarity a copy may have (a teaser's), then checked.
        self._lsh = MinHashLSH(threshold=min(threshold, MIN_SIMILARITY), num_perm=NUM_PERM, params=_bands_and_rows(min(threshold, MIN_SIMILARITY)))
        self._signatures: dict[str, list[int]] = {}
        self._groups: dict[str, str] = {}

    @classmethod
    def from_records(cls, records: Mapping[str, tuple[list[int], str | None]], threshold: float = THRESHOLD) -> DuplicateIndex:
        """The index of articles already stored: {article id: (signature, group id or None)}."""
        index = cls(threshold)
        for article_id, (values, group) in records.items():
            index.add(article_id, signature=values, group=group)
        return index

    def __len__(self) -> int:
        return len(self._signatures)

    def __contains__(self, article_id: str) -> bool:
        return article_id in self._signatures

    def group_of(self, article_id: str) -> str:
        return self._groups[article_id]

    def add(self, article_id: str, text: str | None = None, signature: list[int] | None = None, group: str | None = None) -> list[int]:
        """Index one article by its text or its stored signature; replaces an article of that id.
        Returns the signature (to store with the article)."""
        values = _checked(signature) if signature is not None else minhash_signature(text or "")
        self.remove(article_id)
        self._lsh.insert(article_id, _minhash_of(values))
        self._signatures[article_id] = values
        self._groups[article_id] = group or article_id
        return values

    def remove(self, article_id: str) -> None:
        """Forget an article (removed from the index, or about to be replaced)."""
        if article_id in self._signatures:
            self._lsh.remove(article_id)
            del self._signatures[article_id]
            del self._groups[article_id]

    def find(self, text: str | None = None, signature: list[int] | None = None) -> list[tuple[str, float]]:
        """The indexed articles that are copies of this text (`is_copy`): (article id,
        similarity), most similar first."""
        values = _checked(signature) if signature is not None else minhash_signature(text or "")
        if set(values) == {_EMPTY}:  # a text without words is like nothing, not like every other one
            return []
        keys = [key for key in self._lsh.query(_minhash_of(values)) if is_copy(values, self._signatures[key], self.threshold)]
        return sorted(((key, similarity(values, self._signatures[key])) for key in keys), key=lambda hit: (-hit[1], hit[0]))

    def assign(self, article_id: str, text: str = "", signature: list[int] | None = None) -> Grouping:
        """Add an article and say which group it joins: that of its most similar copy already
        indexed (so a group keeps the canonical id it was given first), else its own. By its
        text, or its signature when it is already computed."""
        self.remove(article_id)  # an article ingested again is compared with the others, not itself
        values = _checked(signature) if signature is not None else minhash_signature(text)
        copies = self.find(signature=values)
        group = self._groups[copies[0][0]] if copies else article_id
        self.add(article_id, signature=values, group=group)
        return Grouping(group=group, signature=values, copies=copies)


def assign_groups(articles: Iterable[tuple[str, str]], index: DuplicateIndex | None = None) -> dict[str, Grouping]:
    """Group articles being ingested, in order, against those already indexed (and each other).

    Args:
        articles: (article id, text) of the articles being ingested.
        index: the stored articles' signatures (`DuplicateIndex.from_records`); a new one if None.
    """
    index = index if index is not None else DuplicateIndex()
    return {article_id: index.assign(article_id, text) for article_id, text in articles}


_EMPTY = 2**32 - 1  # every value of the signature of a text without words


@lru_cache
def _bands_and_rows(threshold: float) -> tuple[int, int]:
    """How datasketch cuts a signature into bands for this threshold: it integrates for each cut
    to choose one (50 ms, each time an index was made: a third of adding one article), so once."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    return lsh.b, lsh.r


def _minhash(items: set[bytes]):
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    minhash.update_batch(list(items))
    return minhash


def _minhash_of(values: list[int]):
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashvalues=values)


def _checked(values: list[int]) -> list[int]:
    if len(values) != NUM_PERM or not all(isinstance(v, int) and 0 <= v < 2**32 for v in values):
        raise InputError(f"a stored signature is not a {SIGNATURE_KIND} one: recompute it with minhash_signature(text)")
    return list(values)
