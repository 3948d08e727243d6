"""Citations as data (pure functions): number passages for the prompt, parse the [n] markers of
an answer, and find in a passage the shortest quote that supports a sentence."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..text import WORD, content_words, split_sentences, stem
from ..types import Citation, Passage

# [1], [1, 2], [1,2,3] and the full-width brackets small models sometimes emit.
_MARKER = re.compile(r"\s*[\[【]\s*(\d+(?:\s*[,;]\s*\d+)*)\s*[\]】]")
_CLAUSE = re.compile(r"[^,;:()«»“”\"—–]+")


@dataclass(frozen=True)
class Sentence:
    """A sentence of an answer with the passage numbers its markers cite."""

    text: str  # without the markers
    cited: tuple[int, ...]


def format_context(excerpts: list[tuple[int, str]]) -> str:
    """The numbered excerpts as the model reads them: `[n] text`, numbered by passage rank but
    listed best last, next to the question, where the small models look first (titles confused them)."""
    return "\n\n".join(f"[{n}] {text}" for n, text in reversed(excerpts))


def parse_answer(answer: str, passage_count: int) -> list[Sentence]:
    """Split an answer into sentences and the valid passage numbers each cites.

    A marker belongs to the sentence it follows. Numbers that point at no passage are dropped,
    and a marker standing alone (« [2] » after the final period) is given to the sentence before."""
    sentences: list[Sentence] = []
    for start, end in split_sentences(answer):
        piece = answer[start:end]
        cited = tuple(dict.fromkeys(n for n in _numbers(piece) if 1 <= n <= passage_count))
        text = strip_markers(piece)
        if not WORD.search(text) and sentences:
            previous = sentences.pop()
            sentences.append(Sentence(previous.text, tuple(dict.fromkeys(previous.cited + cited))))
        elif WORD.search(text):
            sentences.append(Sentence(text, cited))
    return sentences


def replace_markers(text: str, replace: Callable[[list[int]], str]) -> str:
    """`text` with each marker group ([1], [1, 2], 【1】) replaced by `replace(its numbers)`; the
    space before a marker is kept."""

    def swap(match: re.Match) -> str:
        lead = match.group(0)[: len(match.group(0)) - len(match.group(0).lstrip())]
        return lead + replace([int(n) for n in re.findall(r"\d+", match.group(1))])

    return _MARKER.sub(swap, text)


def strip_markers(text: str) -> str:
    return re.sub(r"\s+([.,;:!?])", r"\1", _MARKER.sub("", text)).strip()


def render(sentences: list[Sentence]) -> str:
    """The answer text again, with one clean marker group per sentence: « … Pologne [1]. »"""
    parts = []
    for sentence in sentences:
        text = sentence.text
        if sentence.cited:
            markers = "".join(f"[{n}]" for n in sentence.cited)
            body, end = (text[:-1], text[-1]) if text[-1:] in ".!?" else (text, "")
            text = f"{body.rstrip()} {markers}{end}"
        parts.append(text)
    return " ".join(parts)


def best_quote(sentence: str, passage: Passage) -> tuple[int, int]:
    """Offsets (in the passage text) of the shortest span holding the most content words of
    `sentence`: the best sentence or clause, narrowed to the words that match. The first
    sentence of the passage when no word matches (an answer in another language)."""
    wanted = content_words(sentence)
    text = passage.text
    candidates = []
    for start, end in split_sentences(text):
        candidates.append((start, end))
        candidates.extend(_trim(text, m.start(), m.end()) for m in _CLAUSE.finditer(text, start, end))
    candidates = [(s, e) for s, e in candidates if e > s]
    if not candidates:
        return 0, len(text)
    start, end = max(candidates, key=lambda span: (len(wanted & content_words(text[span[0] : span[1]])), -(span[1] - span[0])))
    if not wanted & content_words(text[start:end]):
        return candidates[0]
    return _widen(text, *_narrowest_window(text, start, end, wanted), start, end)


MIN_QUOTE_CHARS = 30  # a lone word (« Pologne ») is a poor quote: give it a few words of context


def _widen(text: str, start: int, end: int, limit_start: int, limit_end: int) -> tuple[int, int]:
    """Add neighbouring words on both sides, within the clause, until the quote reads as a phrase."""
    words = [(m.start(), m.end()) for m in WORD.finditer(text, limit_start, limit_end)]
    before = [w for w in words if w[1] <= start]
    after = [w for w in words if w[0] >= end]
    while end - start < MIN_QUOTE_CHARS and (before or after):
        if before:
            start = before.pop()[0]
        if after and end - start < MIN_QUOTE_CHARS:
            end = after.pop(0)[1]
    return start, end


def _narrowest_window(text: str, start: int, end: int, wanted: set[str]) -> tuple[int, int]:
    """The shortest run of words in text[start:end] that still holds every matched stem."""
    words = [(m.start(), m.end(), stem(m.group())) for m in WORD.finditer(text, start, end)]
    needed = wanted & {word_stem for _, _, word_stem in words}
    best = (start, end)
    for i, (word_start, _, _) in enumerate(words):
        seen: set[str] = set()
        for _, word_end, word_stem in words[i:]:
            if word_stem in needed:
                seen.add(word_stem)
            if seen == needed:
                if word_end - word_start < best[1] - best[0]:
                    best = (word_start, word_end)
                break
    return best


def cite(n: int, passage: Passage, sentence: str) -> Citation:
    start, end = best_quote(sentence, passage)
    return Citation(n=n, passage=passage, quote=passage.text[start:end], quote_start=passage.start + start, quote_end=passage.start + end)


def _numbers(piece: str) -> list[int]:
    return [int(n) for group in _MARKER.findall(piece) for n in re.findall(r"\d+", group)]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] in ".!?"):
        end -= 1
    return start, end
