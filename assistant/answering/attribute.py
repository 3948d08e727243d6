"""An answer to a question about time or outlets says which article it rests on: « Dans le
sud-est de la Pologne [1] (Le Monde, 17 janvier 2023). » A reader who asked for last week's news,
or for what Le Figaro says, sees at once whose words and which day they get."""

from __future__ import annotations

from . import rendering
from .pipeline import Decision
from .query import Query


class Attribute:
    """Names the outlet and date of the cited articles for an answer scoped by time or outlet,
    or searched wider because nothing matched the outlet or time the question named
    (`rendering.text` adds them after the answer).

    Reads: answer, citations, among, order, scope_notice, language. Fills: attribution."""

    name = "attribute"
    reads = ("answer", "citations", "among", "order", "scope_notice", "language")
    fills = ("attribution",)

    def run(self, query: Query) -> Decision:
        if not rendering.body(query) or (query.among is None and query.order is None and query.scope_notice is None):
            return Decision("not asked")
        labels = list(dict.fromkeys(label for c in query.citations if (label := rendering.label(c.passage.source, c.passage.date, query.language))))
        if not labels:
            return Decision("no outlet or date known")
        query.attribution = labels
        return Decision("attributed", {"sources": labels})
