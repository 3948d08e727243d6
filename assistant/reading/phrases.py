"""Cutting phrases out of a question (a date, an outlet) so that what is left is its subject,
spacing and punctuation mended."""

from __future__ import annotations

import re


def cut_phrases(question: str, spans: list[tuple[int, int]]) -> str:
    """The question without the spans, its spacing and punctuation mended: « Macron hier ? »
    -> « Macron ? », "happened yesterday?" -> "happened?"."""
    out, last = [], 0
    for start, end in sorted(spans):
        piece = question[last:start]
        if end < len(question) and not question[end].isspace():  # a mark follows: no space before it
            piece = piece.rstrip()
        out.append(piece)
        last = end
    out.append(question[last:])
    text = re.sub(r"\s+", " ", "".join(out)).strip()
    text = re.sub(r"\s+([,.])", r"\1", text)
    text = re.sub(r"([,;])(?:\s*[,;])+", r"\1", text)  # « Macron, hier, sur » -> « Macron, sur »
    # « X, ? » left by a cut before the mark: « X ? » in French spacing, "X?" in English.
    text = re.sub(r"[,;](\s*)([?!.])", lambda m: (" " if m.group(1) else "") + m.group(2), text)
    text = re.sub(r"^[\s,;:–-]+", "", text).strip()
    if text and question[:1].isupper() and text[:1].islower():
        text = text[0].upper() + text[1:]
    return text if re.search(r"\w", text) else ""
