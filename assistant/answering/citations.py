"""Citations as data (pure functions): number passages for the prompt, parse the [n] markers of
an answer, and find in a passage the sentence that supports an answer's sentence."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..text import MARKER, WORD, content_words, split_sentences, stem, strip_markers
from ..types import Citation, Passage

# (text, texts) -> a similarity per text, e.g. embedding cosines
Similarity = Callable[[str, list[str]], list[float]]


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

    return MARKER.sub(swap, text)


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


def best_quote(sentence: str, passage: Passage, similarity: Similarity | None = None) -> tuple[int, int]:
    """Offsets (in the passage text) of the passage's sentence that supports `sentence`: the one
    holding the most of its content words (the shorter on a tie). For an answer in another
    language, whose words match nothing, the sentence `similarity` finds closest in meaning, else
    the first one."""
    wanted = content_words(sentence)
    text = passage.text
    spans = split_sentences(text) or [(0, len(text))]
    shared = [len(wanted & content_words(text[s:e])) for s, e in spans]
    if max(shared) == 0 and similarity is not None:
        scores = similarity(sentence, [text[s:e] for s, e in spans])
        return spans[max(range(len(spans)), key=scores.__getitem__)]
    return spans[max(range(len(spans)), key=lambda i: (shared[i], -(spans[i][1] - spans[i][0])))]


def narrowest_window(text: str, start: int, end: int, wanted: set[str]) -> tuple[int, int]:
    """The shortest run of words in text[start:end] that still holds every matched stem of
    `wanted` (the whole span when none matches)."""
    words = [(m.start(), m.end(), stem(m.group())) for m in WORD.finditer(text, start, end)]
    needed = wanted & {word_stem for _, _, word_stem in words}
    best = (start, end)
    if not needed:
        return best
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


def cite(n: int, passage: Passage, sentence: str, similarity: Similarity | None = None) -> Citation:
    """Passage `n` cited for `sentence`, with the sentence of the passage that supports it."""
    start, end = best_quote(sentence, passage, similarity)
    return Citation(n=n, passage=passage, quote=passage.text[start:end], quote_start=passage.start + start, quote_end=passage.start + end)


def _numbers(piece: str) -> list[int]:
    return [int(n) for group in MARKER.findall(piece) for n in re.findall(r"\d+", group)]
