"""The one fold: text lowercased without accents, so that « Été », « été » and « ete » match.

Two ways, both kept because both are relied on:
- a word or text (the default): the whole lowercased, decomposed by compatibility (NFKD), its
  combining marks dropped. « Été » -> « ete », « ﬁn » -> « fin »: the length may change. What
  words are matched on (`text.content_words`, stems, stop words).
- `same_length=True`: one character for one, so that an offset in the folded text is an offset
  in the original (a phrase found in a folded question is cut from the question as written).
  Each character is its canonical decomposition's first (NFD: « É » -> « e »), lowercased when
  that stays one character (« İ » is kept); « œ » and « æ » are kept; typographic apostrophes
  (’ ʼ ‘ ` ´) become « ' ». What outlet names, dates and the time phrases of a question are
  matched on.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_APOSTROPHES = "’ʼ‘`´"


def fold(text: str, same_length: bool = False) -> str:
    """Lowercase, without accents: « Été » -> « ete » (see the module for `same_length`)."""
    return _fold_same_length(text) if same_length else _fold(text)


@lru_cache(maxsize=1 << 16)  # words repeat: folding each anew was a tenth of a bulk ingest
def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _fold_same_length(text: str) -> str:
    out = []
    for char in text:
        base = unicodedata.normalize("NFD", char)[0] if char not in "œæ" else char
        out.append("'" if base in _APOSTROPHES else base.lower() if len(base.lower()) == 1 else base)
    return "".join(out)
