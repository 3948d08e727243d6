"""Deciding what of a model's answer the passages support: citations checked, refusals decided.

The small local models invent answers and cite loosely, so nothing they write is trusted as is:
each sentence must be backed by a passage it cites (or, failing that, by one it could have
cited), every number it states must appear in that passage, the sentences it quotes must speak
of what was asked, and an answer with no backed sentence becomes a refusal."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .. import languages
from ..config import Settings
from ..reading import kinds
from ..text import content_words, numbers, split_sentences, unsupported_numbers
from ..types import Citation, Passage
from . import citations
from .citations import Sentence
from .pipeline import Decision
from .policy import Refusal
from .query import Findings, Query

# Ways the models say they do not know, besides the INTROUVABLE word the prompt asks for.
_REFUSAL = re.compile(languages.union("NO_ANSWER"), re.IGNORECASE)

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
    """Keep the sentences of `answer` that the passages support, each with checked citations,
    or refuse with the first check that fails (see `examine` for the arguments)."""
    findings = examine(answer, question, passages, rules, similarity, cross_lingual)
    reason = findings.refusal()
    return Grounded("", [], reason) if reason else Grounded(citations.render(findings.kept), findings.citations)


def examine(
    answer: str,
    question: str,
    passages: list[Passage],
    rules: Rules | None = None,
    similarity: Similarity | None = None,
    cross_lingual: bool = False,
) -> Findings:
    """Run every check on a draft.

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
    said_unknown = not answer.strip() or _REFUSAL.search(answer) is not None
    kind_fits = kinds.fits(question, citations.strip_markers(answer))
    supports = _Support(question, rules, similarity)
    kept: list[Sentence] = []
    parsed = [] if said_unknown else citations.parse_answer(answer, len(passages))
    moved = False
    for sentence in parsed:
        backing = [n for n in sentence.cited if supports(sentence.text, passages[n - 1])]
        if not backing:  # no marker, or one pointing at the wrong passage: find the right one
            backing = supports.best_passage(sentence.text, passages)
            moved = moved or bool(backing)
        if backing:
            kept.append(Sentence(sentence.text, tuple(backing)))
    found: dict[int, Citation] = {}
    for sentence in kept:
        for n in sentence.cited:
            found.setdefault(n, citations.cite(n, passages[n - 1], sentence.text, similarity if cross_lingual else None))
    cited = [found[n] for n in sorted(found)]
    topic_words = max((_topic_words(question, c) for c in cited), default=0)
    checked = rules.min_topic_words and not cross_lingual
    return Findings(
        said_unknown=said_unknown,
        kind_fits=kind_fits,
        kept=kept,
        dropped=len(parsed) - len(kept),
        citations=cited,
        topic_words=topic_words,
        on_topic=not checked or topic_words >= rules.min_topic_words,
        support=max((_lexical(s.text, question, passages[s.cited[0] - 1]) for s in kept), default=0.0),
        moved=moved,
        cross_lingual=cross_lingual,
    )


def _topic_words(question: str, citation: Citation) -> int:
    """How many words of the question the quoted sentence shares with it, counting the sentence
    before it (which often names the subject a pronoun then stands for) and the title. An answer
    taken from a sentence about something else answers another question: on the PIAF dev split,
    this was so for 26 of the 48 probes the model answered, 31 of its 263 wrong answers and 6 of
    its 304 right ones (docs/decisions.md)."""
    passage = citation.passage
    at = citation.quote_start - passage.start
    spans = split_sentences(passage.text) or [(0, len(passage.text))]
    here = next((i for i, (start, end) in enumerate(spans) if start <= at < end), 0)
    context = passage.title + " " + passage.text[spans[max(0, here - 1)][0] : spans[here][1]]
    return len(content_words(question) & content_words(context))


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
        if not _new_words(sentence, self.question) and not numbers(sentence):
            # it only restates the question (« Manchester United » for « Who scored Manchester
            # United's second goal? »): no passage backs what it does not say, in any language
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
    """Keeps what the passages support of the model's draft, with checked citations, and refuses
    by the first check that fails; with `refuse` False it only records what the checks found
    (the confidence stage then decides).

    Reads: draft, question, language, passages. Fills: checks, and answer and citations (what
    is supported)."""

    name = "verify"
    reads = ("draft", "question", "language", "passages")
    fills = ("checks", "answer", "citations")

    def __init__(self, rules: Rules, similarity: Similarity, refuse: bool = True) -> None:
        self.rules, self._similarity, self.refuse = rules, similarity, refuse

    def run(self, query: Query) -> Decision:
        # An answer in another language than its article (English about a French one) is checked by meaning.
        cross_lingual = query.language != languages.detect(query.passages[0].text)
        findings = query.checks = examine(query.draft.text, query.question, query.passages, self.rules, self._similarity, cross_lingual)
        reason = findings.refusal()
        if findings.kept and not findings.said_unknown:
            query.answer, query.citations = list(findings.kept), findings.citations
        # what the checks would refuse is recorded even when they do not: the evaluation compares them with the decision
        if reason and self.refuse:
            return Decision(details=findings.figures(), refusal=reason)
        return Decision("supported" if reason is None else f"found {reason.value}", findings.figures())
