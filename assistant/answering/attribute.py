"""An answer to a question about time or outlets says which article it rests on: « Dans le
sud-est de la Pologne [1] (Le Monde, 17 janvier 2023). » A reader who asked for last week's news,
or for what Le Figaro says, sees at once whose words and which day they get."""

from __future__ import annotations

import re

from ..language import long_date
from .pipeline import Decision, Query


class Attribute:
    """Adds the outlet and date of the cited articles to an answer scoped by time or outlet.

    Reads: text, citations, among, order, language. Fills: text."""

    name = "attribute"
    reads = ("text", "citations", "among", "order", "language")
    fills = ("text",)

    def run(self, query: Query) -> Decision:
        if not query.text or (query.among is None and query.order is None):
            return Decision("not asked")
        labels = list(dict.fromkeys(label for c in query.citations if (label := _label(c.passage.source, c.passage.date, query.language))))
        if not labels:
            return Decision("no outlet or date known")
        body, end = re.match(r"(.*?)([.!?…]*)$", query.text.rstrip(), re.DOTALL).groups()
        query.text = f"{body} ({'; '.join(labels)}){end or '.'}"
        return Decision("attributed", {"sources": labels})


def _label(source: str | None, date: str | None, language: str) -> str:
    """« Le Monde, 17 janvier 2023 »; a file path is no outlet."""
    outlet = source if source and not re.match(r"^(?:/|\\|[A-Za-z]:[\\/])", source) else None
    return ", ".join(part for part in (outlet, long_date(date, language)) if part)
