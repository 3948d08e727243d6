"""An answer's citations where chat clients look for sources (pure functions).

- OpenAI `url_citation` annotations: the span of the `[n]` marker in the text, the article's title
  and URL. Open WebUI turns each into a source; most other clients read them too.
- Open WebUI `source` events, sent as `{"event": …}` beside the stream's chunks (Open WebUI hands
  a chunk's `event` to its event emitter): the quoted sentence as the document, the title, outlet,
  date and offsets as metadata. Their `metadata.source` is the annotation's URL, so Open WebUI
  files the quote under the same source rather than showing it twice; sent before the
  annotations, they name it (Open WebUI keeps the first name it is given).

An article without a URL of its own (a file) is linked to its record in the REST API."""

from __future__ import annotations

from urllib.parse import quote

from ..types import Answer, Citation


def article_url(citation: Citation, base_url: str) -> str:
    """The article's own URL, else its record on this server (`GET /api/articles/{id}`)."""
    return citation.passage.url or f"{base_url.rstrip('/')}/api/articles/{quote(citation.passage.article_id, safe='')}"


def marker_span(text: str, n: int) -> tuple[int, int]:
    """Where `[n]` first stands in `text`; the end of the text when it is not there (a citation
    the rendered text no longer marks still gets an annotation)."""
    start = text.find(f"[{n}]")
    return (start, start + len(f"[{n}]")) if start >= 0 else (len(text), len(text))


def url_citations(answer: Answer, base_url: str) -> list[dict]:
    """OpenAI's `annotations` for the message: one `url_citation` per citation."""
    found = []
    for citation in answer.citations:
        start, end = marker_span(answer.text, citation.n)
        found.append(
            {
                "type": "url_citation",
                "url_citation": {"url": article_url(citation, base_url), "title": citation.title, "start_index": start, "end_index": end},
            }
        )
    return found


def source_events(answer: Answer, base_url: str) -> list[dict]:
    """Open WebUI's `source` events: one per citation, the quote as what the source says."""
    events = []
    for citation in answer.citations:
        url = article_url(citation, base_url)
        metadata = {
            "source": url,
            "name": citation.title,
            "url": url,
            # Else Open WebUI names a source whose id is a URL by that URL rather than its title
            # (`external` in its 0.12 releases, `source_url` in later ones).
            "external": True,
            "source_url": url,
            "n": citation.n,
            "article_id": citation.passage.article_id,
            "outlet": citation.source,
            "date": citation.passage.date,
            "quote_start": citation.quote_start,
            "quote_end": citation.quote_end,
        }
        data = {
            "source": {"id": url, "name": citation.title, "url": url},
            "document": [citation.quote],
            "metadata": [{key: value for key, value in metadata.items() if value is not None}],
        }
        events.append({"type": "source", "data": data})
    return events
