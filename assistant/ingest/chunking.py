"""Sentence-aware chunking with exact character offsets (pure functions).

llama-index's SentenceSplitter segments with an English Punkt model and recovers offsets by
searching the chunk text back in the article, which can fail after whitespace clean-up. Here the
offsets are the ground truth: every chunk is `text[start:end]`, so citations point at the exact
characters of the article, and French abbreviations (« M. », « Gén. », initials) do not end sentences.
"""

from __future__ import annotations

import re

from ..types import Chunk

# Words that end with a period without ending the sentence (French first, some English).
ABBREVIATIONS = frozenset(
    """m mm mme mmes mlle mlles dr pr me mgr st ste gén gen col cdt lt sgt cap adj maj
    av apr env etc cf ex ibid op vol chap fig éd ed p pp n no nº tél art al coll dir trad
    janv févr fév avr juil sept oct nov déc mr mrs ms jr sr vs inc ltd corp co dept est approx""".split()
)

# A sentence ends with . ! ? or …, possibly followed by closing quotes or brackets (French
# typography puts a space, often a non-breaking one, before « » »), then space.
_END = re.compile(r"[.!?…]+(?:[ \u00a0\u202f]*[»”])?[\"')\]’]*(?=\s)")
_PARAGRAPH = re.compile(r"\n\s*\n")
_WORD_BEFORE = re.compile(r"([\w.-]+)$")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences of `text`, without surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    for block_start, block_end in _blocks(text):
        start = block_start
        for match in _END.finditer(text, block_start, block_end):
            if _is_abbreviation(text, match.start()) or not _starts_sentence(text, match.end(), block_end):
                continue
            spans.append((start, match.end()))
            start = match.end()
        spans.append((start, block_end))
    return [_strip(text, s, e) for s, e in spans if text[s:e].strip()]


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


def _blocks(text: str) -> list[tuple[int, int]]:
    """Lines are hard boundaries: headlines and paragraphs never share a sentence."""
    blocks, start = [], 0
    for match in re.finditer(r"\n", text):
        blocks.append((start, match.start()))
        start = match.end()
    blocks.append((start, len(text)))
    return [(s, e) for s, e in blocks if text[s:e].strip()]


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    match = _WORD_BEFORE.search(text, 0, dot)
    if not match:
        return False
    word = match.group(1).lower().rsplit(".", 1)[-1].lstrip("-")
    # Single letters are initials (« Mark A. Milley ») or parts of « J.-C. ».
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _starts_sentence(text: str, pos: int, limit: int) -> bool:
    """What follows the punctuation looks like the start of a sentence, not a lower-case run-on."""
    rest = text[pos:limit].lstrip()
    if not rest:
        return True
    first = rest[0]
    return not first.islower()


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars)
        if cut <= start:
            cut = start + max_chars
        pieces.append(_strip(text, start, cut))
        start = _strip(text, cut, end)[0]
    pieces.append((start, end))
    return [p for p in pieces if p[1] > p[0]]


def _overlap_start(sentences: list[tuple[int, int]], i: int, j: int, overlap_chars: int) -> int:
    """First sentence of the next chunk: trailing sentences of this one that fit the overlap."""
    k = j
    while k - 1 > i and sentences[j - 1][1] - sentences[k - 1][0] <= overlap_chars:
        k -= 1
    return k
