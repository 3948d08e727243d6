"""What the chat page's events do, apart from the page itself (tests call them directly)."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AssistantError
from ..types import Answer, IngestReport, Reading, Turn
from .render import (
    index_rows,
    index_summary,
    plain_answer,
    render_answer,
    render_draft,
    render_error,
    render_ingest,
    render_reading,
    render_waiting,
)
from .texts import DEFAULT, t

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

    def respond(self, question: str, chat: list[dict], history: list[dict], lang: str = DEFAULT) -> Iterator[tuple[list[dict], list[dict]]]:
        """Stream the draft into the last message, then replace it with the checked answer."""
        import gradio as gr

        if not question:
            return
        before = list(chat[:-1])  # the conversation, up to this turn's (replaced) last message
        turn = sum(1 for m in chat if m.get("role") == "assistant")

        def showing(content: str) -> list[dict]:
            return [*before, {"role": "assistant", "content": content}]

        events = self.assistant.stream(question, turns(history))
        try:
            draft = ""
            for event in events:
                if isinstance(event, Answer):
                    history = [*history, {"role": "user", "content": question}, {"role": "assistant", "content": plain_answer(event)}]
                    yield showing(render_answer(event, turn, lang)), history
                    return
                if isinstance(event, Reading):
                    yield showing(render_reading(event.passages, turn, lang)), history
                    continue
                draft += event
                yield showing(render_draft(draft, lang)), history
        except AssistantError as error:
            gr.Warning(str(error))
            yield showing(render_error(str(error))), history
        except Exception as error:  # never a traceback in the page, never a dead session
            log.exception("answering %r failed", question)
            yield showing(render_error(t(lang, "error_unexpected", kind=type(error).__name__))), history
        finally:
            # A cancelled or abandoned answer must release the model's lock at once.
            events.close()

    def ask(self, question: str, history: list[dict] | None = None) -> dict:
        """Answer one question (with an optional history of {role, content} messages).

        Returns the same JSON object as `assistant ask --json` (`Answer.to_dict`): the answer,
        whether it is a refusal and why, its citations (number, title, source, date, url,
        passage, exact quote and offsets), the passages read, the timings and the trace."""
        import gradio as gr

        try:
            return self.assistant.chat(question, turns(history)).to_dict()
        except AssistantError as error:
            raise gr.Error(str(error)) from None

    def add_files(self, files: list[str] | None, lang: str = DEFAULT, progress=None):
        """Ingest each uploaded file on its own, so each gets its own result line."""
        import gradio as gr

        if not files:
            gr.Warning(t(lang, "choose_files"))
            return gr.update(), *self.index_view(lang)
        results: list[tuple[str, IngestReport]] = []
        for i, path in enumerate(files):
            path = str(path)
            name = Path(path).name
            if progress is not None:
                progress((i, len(files)), desc=f"Adding {name}", unit="files")
            try:
                report = self.assistant.ingest([path], names={path: name})
            except AssistantError as error:
                report = IngestReport(rejected=[(name, str(error))])
            except Exception as error:  # a bad file must not take the page down
                log.exception("ingesting %s failed", path)
                report = IngestReport(rejected=[(name, f"unexpected error ({type(error).__name__}); see the server log")])
            results.append((name, report))
        titles = {a["id"]: a.get("title") or a["id"] for a in self._articles()}
        return render_ingest(results, titles, lang), *self.index_view(lang)

    def remove(self, article_id: str | None, lang: str = DEFAULT):
        import gradio as gr

        if not article_id:
            gr.Warning(t(lang, "choose_article"))
            return self.index_view(lang)
        try:
            self.assistant.remove(article_id)
            gr.Info(t(lang, "removed", article=article_id))
        except AssistantError as error:
            gr.Warning(str(error))
        return self.index_view(lang)

    def index_view(self, lang: str = DEFAULT):
        """The index summary, its article table and the choices of the remove menu."""
        import gradio as gr

        articles = self._articles()
        choices = [(f"{a.get('title') or a['id']} ({a['id']})", a["id"]) for a in articles]
        return index_summary(articles, lang), index_rows(articles), gr.update(choices=choices, value=None)

    def _articles(self) -> list[dict]:
        import gradio as gr

        try:
            return self.assistant.articles()
        except AssistantError as error:
            gr.Warning(str(error))
            return []


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
