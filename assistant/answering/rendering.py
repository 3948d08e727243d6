"""The answer as the reader reads it, rendered once from the stages' values: the checked
sentences with their markers (or the quoted sentence, or a summary's lines), then the outlets and
dates it rests on when the question was about them."""

from __future__ import annotations

import re

from .. import languages
from ..languages import long_date
from ..types import Citation
from . import citations
from .query import Query


def quote_text(citation: Citation, language: str) -> str:
    """« L'article dit : « … » [1]. »: the source's sentence given verbatim."""
    return languages.get(language).QUOTE.format(quote=citation.quote.strip(), n=citation.n)


def body(query: Query) -> str:
    """The answer's text before its attribution: a summary's lines, the quote, or the checked
    sentences with one marker group each."""
    if query.outcome == "summary":
        return "\n".join(query.summary)
    if query.outcome == "quote":
        return quote_text(query.citations[0], query.language)
    return citations.render(query.answer)


def text(query: Query) -> str:
    """The whole answer: its body, then « (Le Monde, 17 janvier 2023) » before the final stop."""
    rendered = body(query)
    if not rendered or not query.attribution:
        return rendered
    start, end = re.match(r"(.*?)([.!?…]*)$", rendered.rstrip(), re.DOTALL).groups()
    return f"{start} ({'; '.join(query.attribution)}){end or '.'}"


def label(source: str | None, date: str | None, language: str) -> str:
    """« Le Monde, 17 janvier 2023 »; a file path is no outlet."""
    outlet = source if source and not re.match(r"^(?:/|\\|[A-Za-z]:[\\/])", source) else None
    return ", ".join(part for part in (outlet, long_date(date, language)) if part)
