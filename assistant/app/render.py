"""The chat page's HTML (pure functions): answers with linked [n] markers, their sources with the
quote highlighted, the passages being read, the trace of an answer, upload results.

Every piece of article or model text goes through `html.escape` before it reaches the page."""

from __future__ import annotations

import html
import re
from pathlib import Path

from ..answering.citations import replace_markers
from ..answering.policy import Refusal
from ..languages import source_line, sureness
from ..types import Answer, Citation, IngestReport, Passage
from .texts import DEFAULT, t

# -- HTML rendering (pure functions) ---------------------------------------------------------
#
# Chat messages are Markdown with HTML allowed. Everything is emitted as one line of HTML
# starting with <div>: Markdown leaves such a block alone until a blank line, so article text
# (with its own asterisks, underscores and blank lines) never turns into formatting.


def _text(text: str) -> str:
    """Escaped text with its line breaks kept visible (and no blank line left in the HTML)."""
    return "<br>".join(html.escape(line) for line in text.strip().splitlines())


def _anchor(turn: int, kind: str, n: int) -> str:
    return f"qa{turn}-{kind}{n}"


def _source_label(source: str | None) -> str | None:
    """A publication name as is; a file path as its file name (the reader needs no server paths)."""
    if not source:
        return None
    if source.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", source):
        return Path(source).name or source
    return source


def _safe_url(url: str | None) -> str | None:
    return url if url and re.match(r"^https?://", url, re.IGNORECASE) else None


def _heading(passage: Passage, lang: str = DEFAULT) -> str:
    """The article's title (a link to it when it has a web address), then « Libération · 30 avril 2015 »."""
    title = html.escape(passage.title or passage.article_id)
    url = _safe_url(passage.url)
    if url:
        title = f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{title}</a>'
    meta = source_line(_source_label(passage.source), passage.date, lang)
    suffix = f' <span class="qa-meta">— {html.escape(meta)}</span>' if meta else ""
    return f"<strong>{title}</strong>{suffix}"


def quote_span(citation: Citation) -> tuple[int, int] | None:
    """Where the quote sits in its passage's text, or None when it cannot be found there."""
    text, quote = citation.passage.text, citation.quote
    if not quote:
        return None
    start = citation.quote_start - citation.passage.start
    if text[start : start + len(quote)] == quote:
        return start, start + len(quote)
    found = text.find(quote)  # offsets from an older index: the text still decides
    return (found, found + len(quote)) if found >= 0 else None


def answer_span(citation: Citation, quote: tuple[int, int] | None) -> tuple[int, int] | None:
    """Where the answer the reader found sits in the passage's text, inside the quote's span."""
    if citation.answer_span is None or quote is None:
        return None
    start, end = (at - citation.passage.start for at in citation.answer_span)
    return (start, end) if quote[0] <= start < end <= quote[1] else None


def render_passage(text: str, span: tuple[int, int] | None = None, answer: tuple[int, int] | None = None) -> str:
    """The passage, escaped, with text[span] highlighted in <mark>, and text[answer] inside it in bold."""
    if span is None:
        return f'<div class="qa-passage">{_text(text)}</div>'
    start, end = span
    cuts = [0, start, *(answer or ()), end, len(text)]
    parts = [html.escape(text[a:b]).replace("\n", "<br>") for a, b in zip(cuts, cuts[1:])]
    quote = parts[1] if answer is None else f"{parts[1]}<strong>{parts[2]}</strong>{parts[3]}"
    return f'<div class="qa-passage">{parts[0]}<mark>{quote}</mark>{parts[-1]}</div>'


def render_sources(citations: list[Citation], turn: int, lang: str = DEFAULT) -> str:
    """The numbered sources of one answer, each an anchor its [n] markers link to."""
    if not citations:
        return ""
    items = "".join(
        f'<div class="qa-source" id="{_anchor(turn, "s", c.n)}"><span class="qa-n">[{c.n}]</span> {_heading(c.passage, lang)}{_copies(c, lang)}'
        f"{render_passage(c.passage.text, quote_span(c), answer_span(c, quote_span(c)))}</div>"
        for c in citations
    )
    return f'<div class="qa-sources"><div class="qa-sources-head">{t(lang, "sources")}</div>{items}</div>'


def _copies(citation: Citation, lang: str) -> str:
    """The other outlets that published the cited wire story."""
    if not citation.copies:
        return ""
    return f' <span class="qa-meta">({html.escape(t(lang, "copies", outlets=", ".join(citation.copies)))})</span>'


def render_closest(passages: list[Passage], turn: int, lang: str = DEFAULT) -> str:
    """The passages retrieval found for a refused question, offered for the reader to judge."""
    if not passages:
        return ""
    items = _passage_items(passages, turn, "p", lang)
    summary = html.escape(t(lang, "closest", count=len(passages)))
    return f'<details class="qa-sources qa-closest"><summary class="qa-sources-head">{summary}</summary>{items}</details>'


def _passage_items(passages: list[Passage], turn: int, kind: str, lang: str = DEFAULT) -> str:
    """Whole passages under their headings, each with an anchor unique to the turn."""
    return "".join(f'<div class="qa-source" id="{_anchor(turn, kind, i)}">{_heading(p, lang)}{render_passage(p.text)}</div>' for i, p in enumerate(passages, 1))


def link_markers(text: str, turn: int, numbers: set[int]) -> str:
    """Escape the answer and turn each [n] that cites a shown source into a link to it."""

    def link(cited: list[int]) -> str:
        return "".join(f'<a class="qa-cite" href="#{_anchor(turn, "s", n)}">[{n}]</a>' if n in numbers else f"[{n}]" for n in cited)

    return replace_markers(_text(text), link)


def render_answer(answer: Answer, turn: int, lang: str = DEFAULT) -> str:
    """The final answer of chat turn `turn` (anchors are unique per turn), with its sources."""
    if answer.refused:
        body = f'<div class="qa-refusal">{_text(answer.text)}</div>{render_closest(answer.passages, turn, lang)}'
    else:
        numbers = {c.n for c in answer.citations}
        kind = "qa-answer qa-quote" if answer.outcome == "quote" else "qa-answer"
        body = f'<div class="{kind}">{link_markers(answer.text, turn, numbers)}</div>{render_sources(answer.citations, turn, lang)}'
    notes = [sureness(answer, lang)] if sureness(answer, lang) else []
    if answer.refused and answer.refusal_reason:
        notes.append(t(lang, "why", reason=Refusal(answer.refusal_reason).why(lang)))
    if answer.standalone_question and _words(answer.standalone_question) != _words(answer.question):
        notes.append(t(lang, "understood_as", question=answer.standalone_question))
    if "total_s" in answer.timings:
        notes.append(f"{answer.timings['total_s']:.1f} s")
    note = f'<div class="qa-note">{html.escape(" · ".join(notes))}</div>' if notes else ""
    return f'<div class="qa qa-final">{body}{note}{render_trace(answer, lang)}</div>'


def render_trace(answer: Answer, lang: str = DEFAULT) -> str:
    """« Why this answer », collapsed: each stage of the pipeline, what it decided, its time."""
    if not answer.trace:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(step.stage)}</td><td>{html.escape(step.decision)}</td>"
        f"<td>{html.escape(_trace_figures(step.details))}</td><td>{step.seconds:.2f} s</td></tr>"
        for step in answer.trace
    )
    head = "<tr>" + "".join(f"<th>{html.escape(cell)}</th>" for cell in t(lang, "trace_head").split("|")) + "</tr>"
    table = f'<table class="qa-trace-table"><thead>{head}</thead><tbody>{rows}</tbody></table>'
    return f'<details class="qa-trace"><summary>{html.escape(t(lang, "why_this_answer"))}</summary>{table}</details>'


def _trace_figures(details: dict) -> str:
    """The scalar figures of a step (scores, thresholds, language), not its lists of passages."""
    shown = []
    for key, value in details.items():
        if isinstance(value, float):
            shown.append(f"{key} {value:.3f}")
        elif isinstance(value, str | int | bool) and key not in ("draft", "question"):
            shown.append(f"{key} {value}")
    return ", ".join(shown)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def render_draft(draft: str, lang: str = DEFAULT) -> str:
    """The model's text as it streams in; replaced by the checked answer when it is done."""
    return f'<div class="qa qa-draft">{_text(draft)} ▍<div class="qa-note">{html.escape(t(lang, "draft"))}</div></div>'


def render_waiting(lang: str = DEFAULT) -> str:
    return f'<div class="qa qa-waiting">{html.escape(t(lang, "waiting"))}</div>'


def render_reading(passages: list[Passage], turn: int, lang: str = DEFAULT) -> str:
    """What the page shows while the model reads: the passages it was given, before its answer."""
    titles = ", ".join(dict.fromkeys(f"« {p.title} »" for p in passages))
    items = _passage_items(passages, turn, "r", lang)
    return (
        f'<div class="qa qa-reading">{html.escape(t(lang, "reading", count=len(passages), titles=titles))}'
        f'<details class="qa-sources"><summary class="qa-sources-head">{html.escape(t(lang, "the_passages"))}</summary>{items}</details></div>'
    )


def render_error(message: str) -> str:
    return f'<div class="qa qa-error">⚠ {_text(message)}</div>'


def plain_answer(answer: Answer) -> str:
    """The answer as the conversation history carries it: no markers."""
    return re.sub(r"\s*\[\d+\]", "", answer.text).strip()


# -- upload results and the index view (pure) ------------------------------------------------


def ingest_rows(results: list[tuple[str, IngestReport]], titles: dict[str, str] | None = None, lang: str = DEFAULT) -> list[tuple[str, str, str, str]]:
    """(file, status, article, detail) per article of each uploaded file, one row per file at least;
    the status is the key (added, replaced, unchanged, rejected), the detail in `lang`."""
    titles = titles or {}
    rows = []
    for name, report in results:
        before = len(rows)
        for status, ids in (("added", report.added), ("replaced", report.replaced), ("unchanged", report.unchanged)):
            rows.extend((name, status, titles.get(i, i), t(lang, f"ingest_detail_{status}")) for i in ids)
        rows.extend((name, "rejected", where if where != name else "", why) for where, why in report.rejected)
        if len(rows) == before:
            rows.append((name, "rejected", "", t(lang, "ingest_nothing")))
    return rows


def render_ingest(results: list[tuple[str, IngestReport]], titles: dict[str, str] | None = None, lang: str = DEFAULT) -> str:
    """The per-file result of an upload as an HTML table."""
    rows = ingest_rows(results, titles, lang)
    if not rows:
        return ""
    counts = {s: sum(1 for r in rows if r[1] == s) for s in ("added", "replaced", "unchanged", "rejected")}
    summary = ", ".join(f"{n} {t(lang, f'ingest_{s}')}" for s, n in counts.items() if n)
    body = "".join(
        f'<tr><td>{html.escape(f)}</td><td class="status-{s}">{html.escape(t(lang, f"ingest_{s}"))}</td><td>{html.escape(a)}</td><td>{html.escape(d)}</td></tr>'
        for f, s, a, d in rows
    )
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in t(lang, "ingest_head").split("|"))
    return (
        f'<div class="ingest-result"><p><strong>{html.escape(summary)}</strong></p>'
        f'<table class="ingest-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
    )


def index_rows(articles: list[dict]) -> list[list]:
    return [[a.get("title") or "", a.get("date") or "", _source_label(a.get("source")) or "", a.get("chunks", 0), a["id"]] for a in articles]


def index_summary(articles: list[dict], lang: str = DEFAULT) -> str:
    if not articles:
        return t(lang, "empty_index")
    return t(lang, "index_summary", articles=len(articles), chunks=sum(a.get("chunks", 0) for a in articles))
