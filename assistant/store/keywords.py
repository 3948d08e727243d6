"""The keyword (BM25) index of the chunks, stemmed in the index's language (French unless its manifest
says otherwise: `records.keyword_language`), kept per segment and updated in place.

bm25s (what llama-index's BM25Retriever wraps) stores scores computed with the whole corpus's
statistics, so adding or removing one chunk means building it again from every chunk: 17 s at
100,000 chunks. Here each segment keeps only its term counts (a sparse chunks x terms matrix),
written once with the segment; the corpus statistics (chunks, mean length, how many chunks hold a
term) are summed over the live chunks when a question is asked. The scores are bm25s's own
(its default Lucene variant, same tokens, stop words and stemmer), over the live chunks only.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import languages

LANGUAGE = "fr"  # of an index whose manifest names none: the product is French first
K1, B = 1.5, 0.75  # bm25s's defaults
TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s's (and scikit-learn's) token pattern
TERMS, COUNTS, LENGTHS = "terms.json", "counts.npz", "lengths.npy"  # inside a segment folder


def tokens(text: str, language: str = LANGUAGE) -> list[str]:
    """Lower-cased words of two letters or more, the language's stop words dropped, stemmed: as
    bm25s tokenizes with `stopwords="french"` and PyStemmer's French stemmer (for "fr")."""
    words = [w for w in TOKEN.findall(text.lower()) if w not in _stopwords(language)]
    return _stemmer(language).stemWords(words)


@dataclass
class TermCounts:
    """How often each term occurs in each chunk of one segment."""

    terms: list[str]
    counts: object  # scipy.sparse.csc_matrix, chunks x terms: a column is a term's postings
    lengths: np.ndarray  # tokens per chunk

    def __post_init__(self) -> None:
        self.column = {term: i for i, term in enumerate(self.terms)}

    @classmethod
    def of(cls, texts: Iterable[str], language: str = LANGUAGE) -> TermCounts:
        from scipy.sparse import csc_matrix

        column: dict[str, int] = {}
        rows, cols, lengths = [], [], []
        for row, text in enumerate(texts):
            found = tokens(text, language)
            lengths.append(len(found))
            for term in found:
                rows.append(row)
                cols.append(column.setdefault(term, len(column)))
        shape = (len(lengths), len(column))
        # Duplicate (row, column) pairs are summed: the counts.
        counts = csc_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=shape)
        counts.sum_duplicates()
        return cls(list(column), counts, np.asarray(lengths, dtype=np.float32))

    @classmethod
    def merged(cls, parts: list[tuple[TermCounts, np.ndarray]]) -> TermCounts:
        """The counts of some rows of several segments, in that order, without tokenizing again."""
        from scipy.sparse import coo_matrix

        column: dict[str, int] = {}
        rows, cols, data, lengths, offset = [], [], [], [], 0
        for counts, kept in parts:
            block = counts.counts.tocsr()[kept].tocoo()
            remap = np.asarray([column.setdefault(term, len(column)) for term in counts.terms], dtype=np.int64)
            rows.append(block.row + offset)
            cols.append(remap[block.col] if len(remap) else block.col)
            data.append(block.data)
            lengths.append(counts.lengths[kept])
            offset += len(kept)
        shape = (offset, len(column))
        matrix = coo_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=shape).tocsc()
        return cls(list(column), matrix, np.concatenate(lengths).astype(np.float32))

    def save(self, folder: Path) -> None:
        from scipy.sparse import save_npz

        (folder / TERMS).write_text(json.dumps(self.terms, ensure_ascii=False), encoding="utf-8")
        save_npz(folder / COUNTS, self.counts, compressed=False)
        np.save(folder / LENGTHS, self.lengths)

    @classmethod
    def load(cls, folder: Path) -> TermCounts:
        from scipy.sparse import load_npz

        terms = json.loads((folder / TERMS).read_text(encoding="utf-8"))
        return cls(terms, load_npz(folder / COUNTS).tocsc(), np.load(folder / LENGTHS))

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The rows that hold `term` and how often."""
        column = self.column.get(term)
        if column is None:
            return _EMPTY_ROWS, _EMPTY_COUNTS
        start, stop = self.counts.indptr[column], self.counts.indptr[column + 1]
        return self.counts.indices[start:stop], self.counts.data[start:stop]


_EMPTY_ROWS, _EMPTY_COUNTS = np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)


def search(
    parts: list[tuple[TermCounts, np.ndarray, np.ndarray | None]], question: str, k: int, language: str = LANGUAGE
) -> list[tuple[int, int, float]]:
    """The k best (part, row, score) for `question`, best first, with scores above zero.

    Args:
        parts: each segment's term counts, the mask of its live rows, and the mask of the rows
            the search is restricted to (None: all live rows). The corpus statistics count every
            live row, as bm25s's `weight_mask` leaves them.
        question: the text searched for.
        k: how many to return.
        language: the index's (the question is stemmed as its chunks were).
    """
    query = tokens(question, language)
    live = sum(int(alive.sum()) for _, alive, _ in parts)
    if not query or not live or k <= 0:
        return []
    mean_length = sum(float(counts.lengths[alive].sum()) for counts, alive, _ in parts) / live
    found = [[(rows, tf) for rows, tf in (counts.postings(term) for term in query)] for counts, _, _ in parts]
    live_postings = [[alive[rows] for rows, _ in terms] for terms, (_, alive, _) in zip(found, parts)]
    held = np.zeros(len(query))  # how many live chunks hold each query term
    for masks in live_postings:
        held += [mask.sum() for mask in masks]
    idf = np.log(1 + (live - held + 0.5) / (held + 0.5))
    best: list[tuple[float, int, int]] = []
    for number, ((counts, alive, among), terms, masks) in enumerate(zip(parts, found, live_postings)):
        scores = np.zeros(len(alive), dtype=np.float32)
        norm = K1 * ((1 - B) + B * counts.lengths / mean_length)
        for weight, (rows, tf), mask in zip(idf, terms, masks):
            rows, tf = rows[mask], tf[mask]
            scores[rows] += weight * tf / (norm[rows] + tf)
        if among is not None:
            scores[~among] = 0
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        best.extend((float(scores[row]), number, int(row)) for row in hits)
    best.sort(key=lambda hit: (-hit[0], hit[1], hit[2]))
    return [(number, row, score) for score, number, row in best[:k]]


@lru_cache(maxsize=16)
def _stopwords(language: str) -> frozenset[str]:
    from bm25s import stopwords

    snowball = languages.snowball(language)
    # bm25s's lists by the language's Snowball name; a language it has none for keeps every word
    return frozenset(getattr(stopwords, "STOPWORDS_EN" if snowball == "english" else f"STOPWORDS_{snowball.upper()}", ()))


_local = threading.local()


def _stemmer(language: str):
    """One stemmer per thread and language: PyStemmer's are not safe to share (the chat page answers in threads)."""
    if not hasattr(_local, "stemmers"):
        _local.stemmers = {}
    if language not in _local.stemmers:
        import Stemmer

        _local.stemmers[language] = Stemmer.Stemmer(languages.snowball(language))
    return _local.stemmers[language]
