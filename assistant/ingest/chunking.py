"""Sentence-aware chunking with exact character offsets (pure functions).

llama-index's SentenceSplitter segments with an English Punkt model and recovers offsets by
searching the chunk text back in the article, which can fail after whitespace clean-up. Here the
offsets are the ground truth: every chunk is `text[start:end]`, so citations point at the exact
characters of the article, and French abbreviations (« M. », « Gén. », initials) do not end sentences.
"""

from __future__ import annotations

import re

from ..text import split_sentences, strip_span
from ..types import Chunk

_PARAGRAPH = re.compile(r"\n\s*\n")


def chunk_text(text: str, max_chars: int = 700, overlap_chars: int = 200) -> list[Chunk]:
    """Pack whole sentences into chunks of at most `max_chars`, repeating up to `overlap_chars`
    of trailing sentences at the start of the next chunk. Longer sentences are cut at spaces."""
    if max_chars < 50:
        raise ValueError("max_chars must be at least 50")
    sentences = [piece for s, e in split_sentences(text) for piece in _cut_long(text, s, e, max_chars)]
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j = i + 1  # sentences[i:j] make the chunk
        while j < len(sentences) and sentences[j][1] - sentences[i][0] <= max_chars:
            size = sentences[j - 1][1] - sentences[i][0]
            # Prefer ending a chunk where a paragraph ends once it is half full.
            if size >= max_chars // 2 and _PARAGRAPH.search(text, sentences[j - 1][1], sentences[j][0]):
                break
            j += 1
        start, end = sentences[i][0], sentences[j - 1][1]
        chunks.append(Chunk(start=start, end=end, text=text[start:end]))
        if j == len(sentences):
            break
        i = _overlap_start(sentences, i, j, overlap_chars)
    return chunks


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars)
        if cut <= start:
            cut = start + max_chars
        pieces.append(strip_span(text, start, cut))
        start = strip_span(text, cut, end)[0]
    pieces.append((start, end))
    return [p for p in pieces if p[1] > p[0]]


def _overlap_start(sentences: list[tuple[int, int]], i: int, j: int, overlap_chars: int) -> int:
    """First sentence of the next chunk: trailing sentences of this one that fit the overlap."""
    k = j
    while k - 1 > i and sentences[j - 1][1] - sentences[k - 1][0] <= overlap_chars:
        k -= 1
    return k
