"""Deciding what of a model's answer the passages support: citations checked, refusals decided.

The small local models invent answers and cite loosely, so nothing they write is trusted as is:
each sentence must be backed by a passage it cites (or, failing that, by one it could have
cited), every number it states must appear in that passage, the sentences it quotes must speak
of what was asked, and an answer with no backed sentence becomes a refusal."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from . import answer_types, citations
from .citations import Sentence
from .types import Citation, Passage

# Ways the models say they do not know, besides the INTROUVABLE word the prompt asks for.
_REFUSAL = re.compile(
    r"introuvable|ne (?:contien|mentionn|précis|permet|dit|donn|trouv|sai)\w*|pas (?:d'|de )?(?:information|réponse|mention|précis)|"
    r"aucune (?:information|mention|indication)|je ne sais pas|not (?:mention|contain|provide|specif|found|stated)\w*|"
    r"(?:don't|do not|cannot|can't) (?:know|find|answer)|no information",
    re.IGNORECASE,
)

Similarity = Callable[[str, list[str]], list[float]]


@dataclass(frozen=True)
class Grounded:
    text: str
    citations: list[Citation]
    reason: str | None = None  # why it was refused: a key of types.REFUSAL_REASONS

    @property
    def refused(self) -> bool:
        return self.reason is not None


def ground(
    answer: str,
    question: str,
    passages: list[Passage],
    min_support: float = 0.5,
    similarity: Similarity | None = None,
    min_similarity: float = 0.88,
    cross_lingual: bool = False,
    min_topic_words: int = 1,
) -> Grounded:
    """Keep the sentences of `answer` that the passages support, each with checked citations.

    Args:
        answer: the model's raw text, with [n] markers.
        question: what was asked (its words are not evidence: an answer restating them proves nothing).
        passages: the passages numbered 1..n in the prompt.
        min_support: share of a sentence's new content words that its passage must contain.
        similarity: optional cross-lingual check, (sentence, texts) -> cosine per text, used when
            the words do not match (an English answer quoting a French passage).
        min_similarity: cosine above which `similarity` counts as support.
        cross_lingual: the answer is in another language than the passages: `similarity` then
            compares it with windows of a few words (see `_by_windows`), and the topic check,
            which compares words, is skipped.
        min_topic_words: content words of the question that at least one cited sentence (with
            the sentence before it and the article's title) must contain; 0 turns the check off.
    """
    if similarity is not None and cross_lingual:
        similarity = _by_windows(similarity)
    if not answer.strip() or _REFUSAL.search(answer):
        return Grounded("", [], "model")
    if not answer_types.fits(question, citations.strip_markers(answer)):
        return Grounded("", [], "answer_type")
    kept: list[Sentence] = []
    for sentence in citations.parse_answer(answer, len(passages)):
        backing = [n for n in sentence.cited if _supports(sentence.text, question, passages[n - 1], min_support, similarity, min_similarity)]
        if not backing:  # no marker, or one pointing at the wrong passage: find the right one
            backing = _best_passage(sentence.text, question, passages, min_support, similarity, min_similarity)
        if backing:
            kept.append(Sentence(sentence.text, tuple(backing)))
    if not kept:
        return Grounded("", [], "unsupported")
    found: dict[int, Citation] = {}
    for sentence in kept:
        for n in sentence.cited:
            found.setdefault(n, citations.cite(n, passages[n - 1], sentence.text))
    cited = [found[n] for n in sorted(found)]
    if min_topic_words and not cross_lingual and not any(_on_topic(question, c, min_topic_words) for c in cited):
        return Grounded("", [], "off_topic")
    return Grounded(citations.render(kept), cited)


def _on_topic(question: str, citation: Citation, min_words: int) -> bool:
    """Whether the quoted sentence speaks of what was asked: it, the sentence before it (which
    often names the subject a pronoun then stands for) or the title shares words with the
    question. An answer taken from a sentence about something else answers another question:
    on the PIAF dev split, this was so for 26 of the 48 probes the model answered, 31 of its
    263 wrong answers and 6 of its 304 right ones (README)."""
    passage = citation.passage
    at = citation.quote_start - passage.start
    spans = citations.split_sentences(passage.text) or [(0, len(passage.text))]
    here = next((i for i, (start, end) in enumerate(spans) if start <= at < end), 0)
    context = passage.title + " " + passage.text[spans[max(0, here - 1)][0] : spans[here][1]]
    return len(citations.content_words(question) & citations.content_words(context)) >= min_words


def _new_words(sentence: str, question: str) -> set[str]:
    """The answer's words that the question did not already give: an answer that only restates
    the question (« Le reliquaire [1]. ») has none, and so no support."""
    return citations.content_words(sentence) - citations.content_words(question)


def _lexical(sentence: str, question: str, passage: Passage) -> float:
    words = _new_words(sentence, question)
    if not words:
        return 0.0
    return len(words & citations.content_words(passage.text)) / len(words)


def _supports(sentence, question, passage, min_support, similarity, min_similarity) -> bool:
    if citations.unsupported_numbers(sentence, passage.text):
        return False
    if _lexical(sentence, question, passage) >= min_support:
        return True
    if similarity is None:
        return False
    quotes = [passage.text[s:e] for s, e in citations.split_sentences(passage.text)] or [passage.text]
    return max(similarity(sentence, quotes)) >= min_similarity


def _best_passage(sentence, question, passages, min_support, similarity, min_similarity) -> list[int]:
    ranked = sorted(range(len(passages)), key=lambda i: _lexical(sentence, question, passages[i]), reverse=True)
    for i in ranked[:2]:  # the two most plausible: checking all would cost many embeddings
        if _supports(sentence, question, passages[i], min_support, similarity, min_similarity):
            return [i + 1]
    return []


def _by_windows(similarity: Similarity) -> Similarity:
    """An answer in another language than its passage can only be checked by meaning, and its
    short phrase sits poorly against a whole sentence: « In south-eastern Poland » scored 0.83
    against the sentence that says so, 0.94 against its words « dans le sud-est de la Pologne »
    (wrong answers, 0.82 to 0.87). So each text scores its best window of a few more words than
    the answer has."""

    def windowed(sentence: str, texts: list[str]) -> list[float]:
        size = len(sentence.split()) + 3
        owners, windows = [], []
        for i, text in enumerate(texts):
            for window in _windows(text, size):
                owners.append(i)
                windows.append(window)
        best = [-1.0] * len(texts)
        for i, score in zip(owners, similarity(sentence, windows) if windows else []):
            best[i] = max(best[i], score)
        return best

    return windowed


def _windows(text: str, size: int, stride: int = 2) -> list[str]:
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    starts = range(0, max(1, len(words) - size + 1), stride)
    return [text[words[i][0] : words[min(i + size, len(words)) - 1][1]] for i in starts] if words else []
