"""The short answer in the source's own words: the span of the cited sentence that says it.

The model paraphrases, and sometimes in broken French (« En sud-est de la Pologne » where the
article says « dans le sud-est de la Pologne »). When every content word of a one-sentence
answer lies in a short run of the sentence it cites, that run, with the prepositions and
articles just before it when the answer began with one, becomes the answer: right by
construction wherever the model's answer was, and what the article says, word for word."""

from __future__ import annotations

import re

from ..text import STOPWORDS, WORD, content_words, fold
from .citations import Sentence, narrowest_window
from .pipeline import Decision
from .query import Query

# Answers that take a stand the span would drop (« Non, il a été construit … »).
_YES_NO = frozenset("oui non yes no".split())
MAX_LEAD_WORDS = 3  # « dans le », « à la », « d'un »: the function words carried before the span
MAX_EXTRA_WORDS = 4  # words the span may hold beyond the answer's own: more is another phrase


def verbatim_span(answer: str, text: str, start: int, end: int) -> tuple[int, int] | None:
    """The offsets in `text` of the run of text[start:end] that says `answer` (no markers), or
    None when the answer's content words are not all there, close together."""
    words = [m.group() for m in WORD.finditer(answer)]
    wanted = content_words(answer)
    if not words or not wanted or fold(words[0]) in _YES_NO:
        return None
    found = {stem for stem in wanted if stem in content_words(text[start:end])}
    if found != wanted:
        return None
    left, right = narrowest_window(text, start, end, wanted)
    if len(list(WORD.finditer(text, left, right))) > len(words) + MAX_EXTRA_WORDS:
        return None
    if fold(words[0]) in STOPWORDS:  # the answer opens with « dans », « le », « en »: so does the span
        left = _lead(text, start, left)
    return left, right


def _lead(text: str, limit: int, left: int) -> int:
    """Move `left` back over the function words just before it (at most MAX_LEAD_WORDS)."""
    before = [m for m in WORD.finditer(text, limit, left)][-MAX_LEAD_WORDS:]
    for match in reversed(before):
        if fold(match.group()) not in STOPWORDS or text[match.end() : left].strip(" '’"):
            break
        left = match.start()
    return left


class Verbatim:
    """Replaces a one-sentence answer by the words of the cited sentence that say it.

    Reads: answer, citations. Fills: answer (when a span says it), verbatim."""

    name = "verbatim"
    reads = ("answer", "citations")
    fills = ("answer", "verbatim")

    def run(self, query: Query) -> Decision:
        if not query.answer:
            return Decision("nothing to quote", {"verbatim": False})
        if len(query.answer) != 1 or len(query.answer[0].cited) != 1:
            return Decision("kept", {"verbatim": False})
        sentence = query.answer[0]
        cited = next(c for c in query.citations if c.n == sentence.cited[0])
        text, offset = cited.passage.text, cited.passage.start
        span = verbatim_span(sentence.text.rstrip(".!?"), text, cited.quote_start - offset, cited.quote_end - offset)
        if span is None:
            return Decision("kept", {"verbatim": False})
        words = text[span[0] : span[1]]
        query.answer, query.verbatim = [Sentence(_capitalised(words) + ".", sentence.cited)], True
        return Decision("quoted", {"verbatim": True, "span_words": len(re.findall(r"\w+", words))})


def _capitalised(words: str) -> str:
    return words[:1].upper() + words[1:]
