"""Deciding what of a model's answer the passages support: citations checked, refusals decided.

The small local models invent answers and cite loosely, so nothing they write is trusted as is:
each sentence must be backed by a passage it cites (or, failing that, by one it could have
cited), every number it states must appear in that passage, the sentences it quotes must speak
of what was asked, and an answer with no backed sentence becomes a refusal."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .. import language
from ..config import Settings
from ..text import content_words, split_sentences, unsupported_numbers
from ..types import Citation, Passage
from . import citations, kinds
from .citations import Sentence
from .pipeline import Decision, Query
from .policy import Refusal

# Ways the models say they do not know, besides the INTROUVABLE word the prompt asks for.
_REFUSAL = re.compile(
    r"introuvable|ne (?:contien|mentionn|précis|permet|dit|donn|trouv|sai)\w*|pas (?:d'|de )?(?:information|réponse|mention|précis)|"
    r"aucune (?:information|mention|indication)|je ne sais pas|not (?:mention|contain|provide|specif|found|stated)\w*|"
    r"(?:don't|do not|cannot|can't) (?:know|find|answer)|no information",
    re.IGNORECASE,
)

Similarity = Callable[[str, list[str]], list[float]]


@dataclass(frozen=True)
class Rules:
    """The thresholds of the checks (fields of `Settings`, where their comments say how each was
    chosen)."""

    min_support: float  # share of a sentence's new content words its passage must contain
    min_cross_lingual_support: float  # cosine above which `similarity` counts as support
    min_topic_words: int  # question words a cited sentence (with the one before, the title) must hold; 0: off

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(settings.min_support, settings.min_cross_lingual_support, settings.min_topic_words)


@dataclass(frozen=True)
class Grounded:
    text: str
    citations: list[Citation]
    reason: Refusal | None = None

    @property
    def refused(self) -> bool:
        return self.reason is not None


def ground(
    answer: str,
    question: str,
    passages: list[Passage],
    rules: Rules | None = None,
    similarity: Similarity | None = None,
    cross_lingual: bool = False,
) -> Grounded:
    """Keep the sentences of `answer` that the passages support, each with checked citations.

    Args:
        answer: the model's raw text, with [n] markers.
        question: what was asked (its words are not evidence: an answer restating them proves nothing).
        passages: the passages numbered 1..n in the prompt.
        rules: the checks' thresholds (the settings' defaults when None).
        similarity: optional cross-lingual check, (sentence, texts) -> cosine per text, used when
            the words do not match (an English answer quoting a French passage).
        cross_lingual: the answer is in another language than the passages: `similarity` then
            compares it with windows of a few words (see `_by_windows`), and the topic check,
            which compares words, is skipped.
    """
    rules = rules or Rules.from_settings(Settings())
    if similarity is not None and cross_lingual:
        similarity = _by_windows(similarity)
    if not answer.strip() or _REFUSAL.search(answer):
        return Grounded("", [], Refusal.MODEL)
    if not kinds.fits(question, citations.strip_markers(answer)):
        return Grounded("", [], Refusal.ANSWER_TYPE)
    supports = _Support(question, rules, similarity)
    kept: list[Sentence] = []
    for sentence in citations.parse_answer(answer, len(passages)):
        backing = [n for n in sentence.cited if supports(sentence.text, passages[n - 1])]
        if not backing:  # no marker, or one pointing at the wrong passage: find the right one
            backing = supports.best_passage(sentence.text, passages)
        if backing:
            kept.append(Sentence(sentence.text, tuple(backing)))
    if not kept:
        return Grounded("", [], Refusal.UNSUPPORTED)
    found: dict[int, Citation] = {}
    for sentence in kept:
        for n in sentence.cited:
            found.setdefault(n, citations.cite(n, passages[n - 1], sentence.text))
    cited = [found[n] for n in sorted(found)]
    if rules.min_topic_words and not cross_lingual and not any(_on_topic(question, c, rules.min_topic_words) for c in cited):
        return Grounded("", [], Refusal.OFF_TOPIC)
    return Grounded(citations.render(kept), cited)


def _on_topic(question: str, citation: Citation, min_words: int) -> bool:
    """Whether the quoted sentence speaks of what was asked: it, the sentence before it (which
    often names the subject a pronoun then stands for) or the title shares words with the
    question. An answer taken from a sentence about something else answers another question:
    on the PIAF dev split, this was so for 26 of the 48 probes the model answered, 31 of its
    263 wrong answers and 6 of its 304 right ones (README)."""
    passage = citation.passage
    at = citation.quote_start - passage.start
    spans = split_sentences(passage.text) or [(0, len(passage.text))]
    here = next((i for i, (start, end) in enumerate(spans) if start <= at < end), 0)
    context = passage.title + " " + passage.text[spans[max(0, here - 1)][0] : spans[here][1]]
    return len(content_words(question) & content_words(context)) >= min_words


def _new_words(sentence: str, question: str) -> set[str]:
    """The answer's words that the question did not already give: an answer that only restates
    the question (« Le reliquaire [1]. ») has none, and so no support."""
    return content_words(sentence) - content_words(question)


def _lexical(sentence: str, question: str, passage: Passage) -> float:
    words = _new_words(sentence, question)
    if not words:
        return 0.0
    return len(words & content_words(passage.text)) / len(words)


class _Support:
    """Whether a passage backs an answer sentence: no number it never states, and enough of the
    sentence's new words, or (with `similarity`) a sentence of it close enough in meaning."""

    def __init__(self, question: str, rules: Rules, similarity: Similarity | None) -> None:
        self.question, self.rules, self.similarity = question, rules, similarity

    def __call__(self, sentence: str, passage: Passage) -> bool:
        if unsupported_numbers(sentence, passage.text):
            return False
        if _lexical(sentence, self.question, passage) >= self.rules.min_support:
            return True
        if self.similarity is None:
            return False
        quotes = [passage.text[s:e] for s, e in split_sentences(passage.text)] or [passage.text]
        return max(self.similarity(sentence, quotes)) >= self.rules.min_cross_lingual_support

    def best_passage(self, sentence: str, passages: list[Passage]) -> list[int]:
        """The number of the passage that backs the sentence, among the two most plausible
        (checking all would cost many embeddings); none when neither does."""
        ranked = sorted(range(len(passages)), key=lambda i: _lexical(sentence, self.question, passages[i]), reverse=True)
        return next(([i + 1] for i in ranked[:2] if self(sentence, passages[i])), [])


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


class Verify:
    """Keeps what the passages support of the model's draft, with checked citations, or refuses.

    Reads: draft, question, language, passages. Fills: text, citations."""

    name = "verify"
    reads = ("draft", "question", "language", "passages")
    fills = ("text", "citations")

    def __init__(self, rules: Rules, similarity: Similarity) -> None:
        self.rules, self._similarity = rules, similarity

    def run(self, query: Query) -> Decision:
        # An answer in another language than its article (English about a French one) is checked by meaning.
        cross_lingual = query.language != language.detect(query.passages[0].text)
        grounded = ground(query.draft, query.question, query.passages, self.rules, self._similarity, cross_lingual)
        details = {"cross_lingual": cross_lingual, "cited": [c.n for c in grounded.citations]}
        if grounded.refused:
            return Decision(details=details, refusal=grounded.reason)
        query.text, query.citations = grounded.text, grounded.citations
        return Decision("supported", details)
