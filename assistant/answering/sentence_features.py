"""What is known about each sentence of the retrieved passages, as numbers the evidence model
reads (pure functions): its e5 cosine to the question and its neighbours', the words it shares
with the question, whether it holds the kind of thing asked for, its passage's retrieval
scores, its place in the passage.

Training (`lab.train_evidence`) and answering compute them with this same code: a feature
changed here is a new model version (`evidence_model.VERSION`)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ..reading import kinds
from ..text import WORD, content_words, fold, split_sentences
from ..types import Passage

Relevance = Callable[[str, list[str]], list[float]]

# The columns of the feature table, in order; the artefact lists them and must match.
FEATURES = (
    "cosine",  # e5 cosine of question (as a query) and sentence (as a passage)
    "cosine_gap",  # the cosine minus the best sentence's: how far behind the closest it is
    "cosine_gap_in_passage",  # the same within its own passage
    "previous_cosine_gap",  # of the sentence before it: the answer often follows the sentence that echoes the question
    "next_cosine_gap",  # of the sentence after it
    "bm25",  # of the sentence against the question, the pool's sentences as the collection, over the best one's
    "shared_words",  # share of the question's content words the sentence holds
    "shared_words_with_title",  # the same, its article's title counted as said (the title is its context)
    "window_shared_words",  # the same, with the sentence before it: « Il ouvrit ses portes en 1913 » names its subject there
    "shared_bigrams",  # share of the question's pairs of consecutive content words the sentence holds in a row
    "idf_shared_words",  # shared_words, each word weighed by its rarity among the pool's sentences
    "kind_fits",  # the question asks for an age, a time or a quantity (`kinds`), and the sentence has one
    "kind_misses",  # it asks for one, and the sentence has none
    "name_asked_new_name",  # the question asks who, what name or where, and the sentence names someone or somewhere new
    "passage_relative",  # the passage's fused retrieval score over the best passage's
    "passage_cosine_gap",  # the passage's dense cosine minus the best passage's
    "first_in_passage",  # 1 for the passage's first sentence
    "position",  # its index in its passage over the passage's sentence count
    "log_chars",  # log of its length: a long sentence says more
)

# Words that only say a question is asked: « Quel nom porte… » shares « quel » with nothing useful.
QUESTION_WORDS = frozenset(
    w[:6]
    for w in """quel quelle quels quelles qui que quoi comment combien pourquoi quand lequel laquelle lesquels lesquelles
    what which who when where why how whose many much nom name appelle""".split()
)
_NAME = re.compile(r"(?<![\w'’])[A-ZÀ-Ý][\w’'-]+")  # a capitalised word: a person, place, organisation
_ASKS_NAME = re.compile(r"\bqui\b|\bwho\b|\bnom\b|\bname\b|appel|\bo[uù]\b|\bwhere\b|\bquel(?:le)?s?\s+(?:ville|pays|r[ée]gion|lieu|endroit)\b", re.IGNORECASE)
_BM25_K1, _BM25_B = 1.2, 0.75


class Candidate(NamedTuple):
    """A sentence of passage `n` (1-based, in the order given): `passage.text[start:end]`."""

    n: int
    start: int
    end: int


class SentenceTable(NamedTuple):
    """The sentences of the passages, their raw cosines and their features."""

    candidates: list[Candidate]
    cosines: list[float]
    features: np.ndarray  # one row per candidate, columns in FEATURES order


class _Question(NamedTuple):
    words: set[str]  # content stems, question words left out
    pairs: set[tuple[str, str]]
    names: set[str]  # every folded word: a capitalised word of a sentence is new when not among them
    wanted: str | None  # the pattern of the kind of answer asked for (`kinds.expected`)
    asks_name: bool


def sentence_table(question: str, passages: list[Passage], relevance: Relevance) -> SentenceTable:
    """Every sentence of `passages`, in order, with its features. Overlapping chunks repeat
    sentences: each copy is scored with its own passage (the selector reads it once)."""
    spans = [split_sentences(p.text) for p in passages]
    candidates = [Candidate(n, s, e) for n, group in enumerate(spans, 1) for s, e in group]
    if not candidates:
        return SentenceTable([], [], np.zeros((0, len(FEATURES))))
    texts = [passages[c.n - 1].text[c.start : c.end] for c in candidates]
    cosines = [float(c) for c in relevance(question, texts)]
    asked = _Question(
        content_words(question) - QUESTION_WORDS,
        _pairs(question),
        {fold(w) for w in WORD.findall(question)},
        kinds.expected(question),
        bool(_ASKS_NAME.search(question)),
    )
    words = [content_words(t) for t in texts]
    idf = _idf(asked.words, words)
    bm25 = [_bm25(asked.words, held, idf, sum(map(len, words)) / len(words)) for held in words]
    best, best_bm25 = max(cosines), max(bm25) or 1.0
    best_in = {c.n: max(cos for d, cos in zip(candidates, cosines) if d.n == c.n) for c in candidates}
    best_score, best_dense = max(p.score for p in passages) or 1.0, max(p.dense_score for p in passages)
    rows, at = [], 0
    for group in spans:
        for i in range(len(group)):
            k = at + i  # this sentence; k - 1 and k + 1 are its neighbours in the passage
            c, passage = candidates[k], passages[candidates[k].n - 1]
            before = words[k - 1] if i > 0 else set()
            rows.append(
                [
                    cosines[k],
                    cosines[k] - best,
                    cosines[k] - best_in[c.n],
                    cosines[k - 1] - best if i > 0 else 0.0,
                    cosines[k + 1] - best if i + 1 < len(group) else 0.0,
                    bm25[k] / best_bm25,
                    *_overlaps(asked, texts[k], words[k], content_words(passage.title), before, idf),
                    passage.score / best_score,
                    passage.dense_score - best_dense,
                    float(i == 0),
                    i / len(group),
                    math.log(max(len(texts[k]), 1)),
                ]
            )
        at += len(group)
    return SentenceTable(candidates, cosines, np.asarray(rows, dtype="float64"))


def _overlaps(asked: _Question, text: str, held: set[str], title: set[str], before: set[str], idf: dict[str, float]) -> list[float]:
    """The features from shared_words to name_asked_new_name, in FEATURES order."""
    share = (lambda found: len(asked.words & found) / len(asked.words)) if asked.words else (lambda found: 0.0)
    fits = asked.wanted is not None and re.search(asked.wanted, text.lower()) is not None
    names = {fold(w) for w in _NAME.findall(text)[1:]} - asked.names  # the first word is capitalised anyway
    total_idf = sum(idf.values())
    return [
        share(held),
        share(held | title),
        share(held | title | before),
        len(asked.pairs & _pairs(text)) / len(asked.pairs) if asked.pairs else 0.0,
        sum(idf.get(t, 0.0) for t in asked.words & held) / total_idf if total_idf else 0.0,
        float(fits),
        float(asked.wanted is not None and not fits),
        float(asked.asks_name and bool(names)),
    ]


def _pairs(text: str) -> set[tuple[str, str]]:
    """Consecutive content stems: « rencontré Zaluzhny » -> (rencon, zaluzh)."""
    stems = [s for s in (fold(w)[:6] for w in WORD.findall(text)) if content_words(s) and s not in QUESTION_WORDS]
    return set(zip(stems, stems[1:]))


def _idf(query: set[str], documents: list[set[str]]) -> dict[str, float]:
    """BM25's inverse document frequency of the query's words, the documents as the collection."""
    count = len(documents)
    return {t: math.log(1 + (count - df + 0.5) / (df + 0.5)) for t in query if (df := sum(t in d for d in documents))}


def _bm25(query: set[str], document: set[str], idf: dict[str, float], average: float) -> float:
    """BM25 of a sentence (a set of stems: a sentence rarely repeats a word) against the query."""
    norm = _BM25_K1 * (1 - _BM25_B + _BM25_B * len(document) / (average or 1.0))
    return sum(idf[t] * (_BM25_K1 + 1) / (1 + norm) for t in query & document if t in idf)
