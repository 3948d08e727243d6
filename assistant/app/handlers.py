"""What the chat page's events do, apart from the page itself (tests call them directly)."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AssistantError
from ..text import fold
from ..types import Answer, IngestReport, Reading, Turn
from .render import (
    index_rows,
    index_summary,
    ingest_rows,
    plain_answer,
    render_answer,
    render_draft,
    render_error,
    render_ingest,
    render_reading,
    render_waiting,
)
from .texts import DEFAULT, t
from .timeline import between, frame, render_articles, timeline_rows

if TYPE_CHECKING:
    from ..api import Assistant

log = logging.getLogger(__name__)


class Handlers:
    """What the page's events do, apart from the page itself (so tests can call them directly)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def start_turn(self, message: str, chat: list[dict], lang: str = DEFAULT):
        """Show the question at once (outside the queue) and hold it for `respond`."""
        import gradio as gr

        question = (message or "").strip()
        if not question:
            gr.Warning(t(lang, "type_first"))
            return gr.update(), chat, "", gr.update()
        chat = [*chat, {"role": "user", "content": html.escape(question)}, {"role": "assistant", "content": render_waiting(lang)}]
        return gr.update(value="", interactive=False), chat, question, gr.update(interactive=False)

    def respond(self, question: str, chat: list[dict], history: list[dict], lang: str = DEFAULT, since="", until="", sources=(), as_of="") -> Iterator[tuple]:
        """Stream the draft into the last message, then replace it with the checked answer and
        draw the timeline of the articles it drew on. Yields (chat, history, timeline, rows)."""
        import gradio as gr

        if not question:
            return
        before = list(chat[:-1])  # the conversation, up to this turn's (replaced) last message
        turn = sum(1 for m in chat if m.get("role") == "assistant")
        keep = gr.update()

        def showing(content: str) -> list[dict]:
            return [*before, {"role": "assistant", "content": content}]

        filters = {"since": since or None, "until": until or None, "sources": list(sources or ()), "as_of": as_of or None}
        events = self.assistant.stream(question, turns(history), **filters)
        try:
            draft = ""
            for event in events:
                if isinstance(event, Answer):
                    history = [*history, {"role": "user", "content": question}, {"role": "assistant", "content": plain_answer(event)}]
                    rows = timeline_rows(event, {a["id"]: a for a in self._articles()})
                    yield showing(render_answer(event, turn, lang)), history, gr.update(value=frame(rows), visible=bool(rows)), rows
                    return
                if isinstance(event, Reading):
                    yield showing(render_reading(event.passages, turn, lang)), history, keep, keep
                    continue
                draft += event
                yield showing(render_draft(draft, lang)), history, keep, keep
        except AssistantError as error:
            gr.Warning(str(error))
            yield showing(render_error(str(error))), history, keep, keep
        except Exception as error:  # never a traceback in the page, never a dead session
            log.exception("answering %r failed", question)
            yield showing(render_error(t(lang, "error_unexpected", kind=type(error).__name__))), history, keep, keep
        finally:
            # A cancelled or abandoned answer must release the model's lock at once.
            events.close()

    def pick(self, rows: list[dict], lang: str = DEFAULT, selection=None) -> str:
        """The articles of the stretch of the timeline the reader selected."""
        index = getattr(selection, "index", None)
        if not rows or not index:
            return ""
        start, end = (index[0], index[-1]) if isinstance(index, list | tuple) else (index, index)
        return render_articles(between(rows, start, end), lang)

    def outlets(self):
        """The outlets of the index, for the filters."""
        import gradio as gr

        return gr.update(choices=sorted({a["source"] for a in self._articles() if a.get("source") and not a["source"].startswith("/")}))

    def ask(self, question: str, history: list[dict] | None = None, since: str = "", until: str = "", sources: list | None = None, as_of: str = "") -> dict:
        """Answer one question (with an optional history of {role, content} messages, and the
        filters of `Assistant.ask`: dates as YYYY-MM-DD, outlet names).

        Returns the same JSON object as `assistant ask --json` (`Answer.to_dict`): the answer,
        whether it is a refusal and why, its citations (number, title, source, date, url,
        passage, exact quote and offsets), the passages read, the timings and the trace."""
        import gradio as gr

        try:
            filters = {"since": since or None, "until": until or None, "sources": sources or [], "as_of": as_of or None}
            return self.assistant.chat(question, turns(history), **filters).to_dict()
        except AssistantError as error:
            raise gr.Error(str(error)) from None

    def add_files(self, files: list[str] | None, lang: str = DEFAULT, progress=None, *listing):
        """Ingest each uploaded file on its own, so each gets its own result line."""
        import gradio as gr

        if not files:
            gr.Warning(t(lang, "choose_files"))
            return gr.update(), *self.index_view(lang, *listing)
        results: list[tuple[str, IngestReport]] = []
        for i, path in enumerate(files):
            name = Path(str(path)).name
            if progress is not None:
                progress((i, len(files)), desc=f"Adding {name}", unit="files")
            results.append((name, self._ingest_one(str(path))))
        titles = {a["id"]: a.get("title") or a["id"] for a in self._articles()}
        return render_ingest(results, titles, lang), *self.index_view(lang, *listing)

    def add_articles(self, files: list) -> list[list[str]]:
        """Add files to the index (the web API, gradio_client's `handle_file`): one row per
        article of each file, [file, status (added, replaced, unchanged, rejected), article title
        or where, detail]."""
        results = []
        for item in files or []:
            # gradio_client's files arrive as {path, orig_name, ...}: the upload's own name counts
            path, name = (item["path"], item.get("orig_name")) if isinstance(item, dict) else (str(item), None)
            results.append((name or Path(path).name, self._ingest_one(path, name)))
        titles = {a["id"]: a.get("title") or a["id"] for a in self._articles()}
        return [list(row) for row in ingest_rows(results, titles, "en")]

    def remove(self, article_id: str | None, lang: str = DEFAULT, *listing):
        import gradio as gr

        if not article_id:
            gr.Warning(t(lang, "choose_article"))
            return self.index_view(lang, *listing)
        try:
            self.assistant.remove(article_id)
            gr.Info(t(lang, "removed", article=article_id))
        except AssistantError as error:
            gr.Warning(str(error))
        return self.index_view(lang, *listing)

    def index_view(self, lang: str = DEFAULT, search: str = "", outlets=(), since: str = "", until: str = ""):
        """The index summary, the table of the articles the search and filters keep, the choices
        of the remove menu and of the outlet filter."""
        import gradio as gr

        articles = self._articles()
        shown = listed(articles, search, outlets, since, until)
        choices = [(f"{a.get('title') or a['id']} ({a['id']})", a["id"]) for a in shown]
        names = sorted({a["source"] for a in articles if a.get("source") and not a["source"].startswith("/")})
        return index_summary(articles, lang), index_rows(shown), gr.update(choices=choices, value=None), gr.update(choices=names)

    def _ingest_one(self, path: str, name: str | None = None) -> IngestReport:
        """Ingest one uploaded file under its own name; whatever goes wrong is its result."""
        name = name or Path(path).name
        try:
            return self.assistant.ingest([path], names={path: name})
        except AssistantError as error:
            return IngestReport(rejected=[(name, str(error))])
        except Exception as error:  # a bad file must not take the page down
            log.exception("ingesting %s failed", path)
            return IngestReport(rejected=[(name, f"unexpected error ({type(error).__name__}); see the server log")])

    def _articles(self) -> list[dict]:
        import gradio as gr

        try:
            return self.assistant.articles()
        except AssistantError as error:
            gr.Warning(str(error))
            return []


def listed(articles: list[dict], search: str = "", outlets=(), since: str = "", until: str = "") -> list[dict]:
    """The articles whose title or outlet holds `search` (case and accents aside), of one of
    `outlets`, published from `since` to `until` (YYYY-MM-DD; an undated article is kept only
    without dates), newest first."""
    wanted = fold(search.strip())
    kept = []
    for article in articles:
        date = article.get("date") or ""
        if wanted and wanted not in fold(f"{article.get('title') or ''} {article.get('source') or ''}"):
            continue
        if outlets and article.get("source") not in outlets:
            continue
        if (since or until) and (not date or (since and date[:10] < since) or (until and date[:10] > until)):
            continue
        kept.append(article)
    return sorted(kept, key=lambda a: a.get("date") or "", reverse=True)


def turns(messages: list[dict] | None) -> list[Turn]:
    """Gradio's chat messages ({role, content}, content a string or Gradio 6's list of parts) as
    the assistant's (role, text) turns."""
    found = []
    for message in messages or []:
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
        found.append(Turn("user" if message.get("role") == "user" else "assistant", str(content or "")))
    return found
