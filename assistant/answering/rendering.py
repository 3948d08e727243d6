"""The answer as the reader reads it, rendered once from the stages' values: what the question
named that no article matches, when the search ran wider for it; the checked sentences with
their markers (or the quoted sentence, or a summary's lines); then the outlets and dates it rests
on when the question was about them."""

from __future__ import annotations

import re

from .. import languages
from ..languages import long_date
from ..types import Citation
from . import citations
from .query import Query, ScopeNotice


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
    """The whole answer: the scope's notice, its body, then « (Le Monde, 17 janvier 2023) »
    before the final stop."""
    rendered = body(query)
    if rendered and query.attribution:
        start, end = re.match(r"(.*?)([.!?…]*)$", rendered.rstrip(), re.DOTALL).groups()
        rendered = f"{start} ({'; '.join(query.attribution)}){end or '.'}"
    if rendered and query.scope_notice:
        return notice_text(query.scope_notice, query.language) + ("\n" if query.outcome == "summary" else " ") + rendered
    return rendered


def notice_text(notice: ScopeNotice, language: str) -> str:
    """« Aucun article de Le Parisien dans l'archive ; voici ce que disent les autres : », with
    the period when it was given up (« … de Le Figaro publié depuis le 1er mars 2024 … »)."""
    sentences = languages.get(language).SCOPE_NOTICE
    since, until = (long_date(day.isoformat(), language) if day else None for day in (notice.since, notice.until))
    parts = [sentences["outlet"].format(outlet=", ".join(notice.outlets))] if notice.outlets else []
    if since and until:
        parts.append(sentences["day"].format(day=since) if since == until else sentences["between"].format(since=since, until=until))
    elif since or until:
        parts.append(sentences["since"].format(since=since) if since else sentences["until"].format(until=until))
    return sentences["notice"].format(what=" ".join(parts))


def label(source: str | None, date: str | None, language: str) -> str:
    """« Le Monde, 17 janvier 2023 »; a file path is no outlet."""
    outlet = source if source and not re.match(r"^(?:/|\\|[A-Za-z]:[\\/])", source) else None
    return ", ".join(part for part in (outlet, long_date(date, language)) if part)
