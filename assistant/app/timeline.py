"""The timeline of an answer: the articles its question drew on, by publication date (pure).

Drawn by Gradio's own scatter plot (dates across, relevance up, one colour per outlet); selecting
a stretch of the axis shows the articles published in it."""

from __future__ import annotations

import datetime as dt
import html

from ..languages import source_line
from ..types import Answer
from .texts import DEFAULT, t

COLUMNS = ["date", "relevance", "outlet", "title", "article"]


def timeline_rows(answer: Answer, articles: dict[str, dict]) -> list[dict]:
    """One row per dated article the retrieval found for the answer (its best score), the cited
    ones included; undated articles have no place on a time axis."""
    retrieved = next((step.details.get("passages", []) for step in answer.trace if step.stage == "retrieve"), [])
    best: dict[str, float] = {}
    for hit in retrieved:
        best[hit["article_id"]] = max(best.get(hit["article_id"], 0.0), float(hit["score"]))
    for citation in answer.citations:
        best.setdefault(citation.passage.article_id, citation.passage.score)
    rows = []
    for article_id, score in best.items():
        record = articles.get(article_id) or {}
        day = _day(record.get("date"))
        if day is not None:
            outlet, title = record.get("source") or "?", record.get("title") or article_id
            rows.append({"date": day, "relevance": round(score, 3), "outlet": outlet, "title": title, "article": article_id})
    return sorted(rows, key=lambda row: row["date"])


def frame(rows: list[dict]):
    """The rows as the DataFrame Gradio's plot takes (dates as datetimes)."""
    import pandas as pd

    data = pd.DataFrame(rows, columns=COLUMNS)
    data["date"] = pd.to_datetime(data["date"])
    return data


def between(rows: list[dict], start, end) -> list[dict]:
    """The rows published from `start` to `end` (dates, datetimes, or epoch milliseconds as the
    plot's selection gives them); the nearest one when the stretch holds none."""
    low, high = sorted((_day(start), _day(end)))
    inside = [row for row in rows if low <= row["date"] <= high]
    if inside or not rows:
        return inside
    middle = low + (high - low) / 2
    return [min(rows, key=lambda row: abs(row["date"] - middle))]


def render_articles(rows: list[dict], lang: str = DEFAULT) -> str:
    """The selected articles: title, outlet and date, newest first."""
    if not rows:
        return ""
    items = "".join(
        f'<li><strong>{html.escape(row["title"])}</strong> <span class="qa-meta">— {html.escape(_meta(row, lang))}</span></li>'
        for row in sorted(rows, key=lambda row: row["date"], reverse=True)
    )
    head = html.escape(t(lang, "timeline_articles", count=len(rows)))
    return f'<div class="qa-timeline-pick"><div class="qa-sources-head">{head}</div><ul>{items}</ul></div>'


def _meta(row: dict, lang: str) -> str:
    return source_line(row["outlet"], row["date"].isoformat(), lang)


def _day(value) -> dt.date | None:
    """A date from an ISO string, a date or datetime, or epoch milliseconds."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.timezone.utc).date()
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
