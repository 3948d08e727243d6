"""The browser chat: a thin Gradio layer over `Assistant`.

`create_app(assistant)` builds the page without starting a server (tests and embedding use it);
`launch(...)` serves it. The page renders its own HTML for answers and sources: every piece of
article or model text goes through `html.escape` before it reaches the page.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import AssistantError, InputError, MissingDependencyError
from .types import REFUSAL_REASONS, Answer, Citation, IngestReport, Passage, Reading

if TYPE_CHECKING:
    import gradio as gr

    from .api import Assistant

log = logging.getLogger(__name__)

EXAMPLES = [
    "Où Milley a-t-il rencontré Zaluzhny ?",
    "À quelle heure Milley est-il arrivé ?",
    "Qui est Valery Zaluzhny ?",
    "Pourquoi la réunion n'a-t-elle pas eu lieu à Bruxelles ?",
]
ACCEPTED = ".txt, .md, .html, .json, .jsonl"
# One generation at a time: the CPU is the limit. The chat and the /ask API share this group, so
# their requests wait in one queue (and the page shows the position) instead of thrashing.
ANSWER_QUEUE = "answer"
INDEX_QUEUE = "index"  # ingests and removals: one writer at a time, beside the answers

CSS = """
.qa { line-height: 1.5; }
.qa-draft { opacity: .75; }
.qa-note, .qa-waiting, .qa-reading { font-size: .85em; opacity: .7; }
.qa-refusal { font-style: italic; }
.qa-error { color: #b91c1c; }
.qa-sources { margin-top: .6em; padding-top: .4em; border-top: 1px solid rgba(128,128,128,.35); font-size: .9em; }
.qa-sources-head { font-weight: 600; margin-bottom: .3em; }
.qa-source { margin: .4em 0 .7em; }
.qa-source:target { outline: 2px solid #f59e0b; border-radius: 4px; }
.qa-meta { opacity: .7; }
.qa-passage { margin: .2em 0 0; padding-left: .7em; border-left: 3px solid rgba(128,128,128,.4); }
.qa mark { background: #fde68a; color: #1f2937; padding: 0 .1em; }
.qa-cite { text-decoration: none; font-weight: 600; }
.ingest-table { width: 100%; border-collapse: collapse; }
.ingest-table td, .ingest-table th { padding: .25em .5em; border-bottom: 1px solid rgba(128,128,128,.25); text-align: left; }
.status-added, .status-replaced { color: #15803d; }
.status-unchanged { opacity: .7; }
.status-rejected { color: #b91c1c; }
"""


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


def _heading(passage: Passage) -> str:
    title = html.escape(passage.title or passage.article_id)
    url = _safe_url(passage.url)
    if url:
        title = f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{title}</a>'
    meta = [m for m in (passage.date, _source_label(passage.source)) if m]
    suffix = f' <span class="qa-meta">· {html.escape(" · ".join(meta))}</span>' if meta else ""
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


def render_passage(text: str, span: tuple[int, int] | None = None) -> str:
    """The passage, escaped, with text[span] highlighted in <mark>."""
    if span is None:
        return f'<div class="qa-passage">{_text(text)}</div>'
    start, end = span
    before, quote, after = (html.escape(part).replace("\n", "<br>") for part in (text[:start], text[start:end], text[end:]))
    return f'<div class="qa-passage">{before}<mark>{quote}</mark>{after}</div>'


def render_sources(citations: list[Citation], turn: int) -> str:
    """The numbered sources of one answer, each an anchor its [n] markers link to."""
    if not citations:
        return ""
    items = "".join(
        f'<div class="qa-source" id="{_anchor(turn, "s", c.n)}"><span class="qa-n">[{c.n}]</span> {_heading(c.passage)}'
        f"{render_passage(c.passage.text, quote_span(c))}</div>"
        for c in citations
    )
    return f'<div class="qa-sources"><div class="qa-sources-head">Sources</div>{items}</div>'


def render_closest(passages: list[Passage], turn: int) -> str:
    """The passages retrieval found for a refused question, offered for the reader to judge."""
    if not passages:
        return ""
    items = _passage_items(passages, turn, "p")
    return (
        f'<details class="qa-sources qa-closest"><summary class="qa-sources-head">Closest passages found ({len(passages)}): judge for yourself</summary>'
        f"{items}</details>"
    )


def _passage_items(passages: list[Passage], turn: int, kind: str) -> str:
    """Whole passages under their headings, each with an anchor unique to the turn."""
    return "".join(f'<div class="qa-source" id="{_anchor(turn, kind, i)}">{_heading(p)}{render_passage(p.text)}</div>' for i, p in enumerate(passages, 1))


def link_markers(text: str, turn: int, numbers: set[int]) -> str:
    """Escape the answer and turn each [n] that cites a shown source into a link to it."""

    def link(match: re.Match) -> str:
        n = int(match.group(1))
        if n not in numbers:
            return match.group(0)
        return f'<a class="qa-cite" href="#{_anchor(turn, "s", n)}">[{n}]</a>'

    return re.sub(r"\[(\d+)\]", link, _text(text))


def render_answer(answer: Answer, turn: int) -> str:
    """The final answer of chat turn `turn` (anchors are unique per turn), with its sources."""
    if answer.refused:
        body = f'<div class="qa-refusal">{_text(answer.text)}</div>{render_closest(answer.passages, turn)}'
    else:
        numbers = {c.n for c in answer.citations}
        body = f'<div class="qa-answer">{link_markers(answer.text, turn, numbers)}</div>{render_sources(answer.citations, turn)}'
    notes = []
    if answer.refused and answer.refusal_reason in REFUSAL_REASONS:
        notes.append(f"why: {REFUSAL_REASONS[answer.refusal_reason]}")
    if answer.standalone_question and _words(answer.standalone_question) != _words(answer.question):
        notes.append(f"understood as « {html.escape(answer.standalone_question)} »")
    if "total_s" in answer.timings:
        notes.append(f"{answer.timings['total_s']:.1f} s")
    note = f'<div class="qa-note">{html.escape(" · ").join(notes)}</div>' if notes else ""
    return f'<div class="qa qa-final">{body}{note}</div>'


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def render_draft(draft: str) -> str:
    """The model's text as it streams in; replaced by the checked answer when it is done."""
    return f'<div class="qa qa-draft">{_text(draft)} ▍<div class="qa-note">draft: checking it against the sources…</div></div>'


def render_waiting() -> str:
    return '<div class="qa qa-waiting">Waiting for the model (questions are answered one at a time)…</div>'


def render_reading(passages: list[Passage], turn: int) -> str:
    """What the page shows while the model reads: the passages it was given, before its answer."""
    titles = ", ".join(dict.fromkeys(f"« {html.escape(p.title)} »" for p in passages))
    items = _passage_items(passages, turn, "r")
    return (
        f'<div class="qa qa-reading">Reading {len(passages)} passages from {titles}…'
        f'<details class="qa-sources"><summary class="qa-sources-head">The passages</summary>{items}</details></div>'
    )


def render_error(message: str) -> str:
    return f'<div class="qa qa-error">⚠ {_text(message)}</div>'


def plain_answer(answer: Answer) -> str:
    """The answer as the conversation history carries it: no markers."""
    return re.sub(r"\s*\[\d+\]", "", answer.text).strip()


def answer_data(answer: Answer) -> dict:
    """The answer as JSON-able data (what the /ask API returns)."""
    data = answer.to_dict()
    data["standalone_question"] = answer.standalone_question
    data["passages"] = [
        {"n": i, "article_id": p.article_id, "title": p.title, "source": p.source, "date": p.date, "url": p.url, "start": p.start, "end": p.end, "text": p.text}
        for i, p in enumerate(answer.passages, 1)
    ]
    return data


# -- upload results and the index view (pure) ------------------------------------------------


_INGEST_DETAIL = {"added": "now in the index", "replaced": "its text changed: the new version replaces the old", "unchanged": "already in the index"}


def ingest_rows(results: list[tuple[str, IngestReport]], titles: dict[str, str] | None = None) -> list[tuple[str, str, str, str]]:
    """(file, status, article, detail) per article of each uploaded file, one row per file at least."""
    titles = titles or {}
    rows = []
    for name, report in results:
        before = len(rows)
        for status, ids in (("added", report.added), ("replaced", report.replaced), ("unchanged", report.unchanged)):
            rows.extend((name, status, titles.get(i, i), _INGEST_DETAIL[status]) for i in ids)
        rows.extend((name, "rejected", where if where != name else "", why) for where, why in report.rejected)
        if len(rows) == before:
            rows.append((name, "rejected", "", "no article found in this file"))
    return rows


def render_ingest(results: list[tuple[str, IngestReport]], titles: dict[str, str] | None = None) -> str:
    """The per-file result of an upload as an HTML table."""
    rows = ingest_rows(results, titles)
    if not rows:
        return ""
    counts = {s: sum(1 for r in rows if r[1] == s) for s in ("added", "replaced", "unchanged", "rejected")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    body = "".join(
        f'<tr><td>{html.escape(f)}</td><td class="status-{s}">{s}</td><td>{html.escape(a)}</td><td>{html.escape(d)}</td></tr>' for f, s, a, d in rows
    )
    return (
        f'<div class="ingest-result"><p><strong>{html.escape(summary)}</strong></p>'
        f'<table class="ingest-table"><thead><tr><th>File</th><th>Result</th><th>Article</th><th>Details</th></tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def index_rows(articles: list[dict]) -> list[list]:
    return [[a.get("title") or "", a.get("date") or "", _source_label(a.get("source")) or "", a.get("chunks", 0), a["id"]] for a in articles]


def index_summary(articles: list[dict]) -> str:
    chunks = sum(a.get("chunks", 0) for a in articles)
    if not articles:
        return "The index is empty: add articles below."
    return f"**{len(articles)}** article{'s' * (len(articles) != 1)}, **{chunks}** chunk{'s' * (chunks != 1)} in the index."


# -- event handlers --------------------------------------------------------------------------


class Handlers:
    """What the page's events do, apart from the page itself (so tests can call them directly)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def start_turn(self, message: str, chat: list[dict]):
        """Show the question at once (outside the queue) and hold it for `respond`."""
        import gradio as gr

        question = (message or "").strip()
        if not question:
            gr.Warning("Type a question first.")
            return gr.update(), chat, "", gr.update()
        chat = [*chat, {"role": "user", "content": html.escape(question)}, {"role": "assistant", "content": render_waiting()}]
        return gr.update(value="", interactive=False), chat, question, gr.update(interactive=False)

    def respond(self, question: str, chat: list[dict], history: list[dict]) -> Iterator[tuple[list[dict], list[dict]]]:
        """Stream the draft into the last message, then replace it with the checked answer."""
        import gradio as gr

        if not question:
            return
        before = list(chat[:-1])  # the conversation, up to this turn's (replaced) last message
        turn = sum(1 for m in chat if m.get("role") == "assistant")

        def showing(content: str) -> list[dict]:
            return [*before, {"role": "assistant", "content": content}]

        events = self.assistant.stream(question, history or None)
        try:
            draft = ""
            for event in events:
                if isinstance(event, Answer):
                    history = [*history, {"role": "user", "content": question}, {"role": "assistant", "content": plain_answer(event)}]
                    yield showing(render_answer(event, turn)), history
                    return
                if isinstance(event, Reading):
                    yield showing(render_reading(event.passages, turn)), history
                    continue
                draft += event
                yield showing(render_draft(draft)), history
        except AssistantError as error:
            gr.Warning(str(error))
            yield showing(render_error(str(error))), history
        except Exception as error:  # never a traceback in the page, never a dead session
            log.exception("answering %r failed", question)
            yield showing(render_error(f"Something went wrong while answering ({type(error).__name__}); see the server log.")), history
        finally:
            # A cancelled or abandoned answer must release the model's lock at once.
            events.close()

    def ask(self, question: str, history: list[dict] | None = None) -> dict:
        """Answer one question (with an optional history of {role, content} messages).

        Returns the answer, whether it is a refusal, its citations (number, title, source, date,
        url, passage, exact quote and offsets) and the retrieved passages."""
        import gradio as gr

        try:
            return answer_data(self.assistant.chat(question, history or None))
        except AssistantError as error:
            raise gr.Error(str(error)) from None

    def add_files(self, files: list[str] | None, progress=None):
        """Ingest each uploaded file on its own, so each gets its own result line."""
        import gradio as gr

        if not files:
            gr.Warning("Choose one or more files first.")
            return gr.update(), *self.index_view()
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
        return render_ingest(results, titles), *self.index_view()

    def remove(self, article_id: str | None):
        import gradio as gr

        if not article_id:
            gr.Warning("Choose an article to remove.")
            return self.index_view()
        try:
            self.assistant.remove(article_id)
            gr.Info(f"Removed {article_id}")
        except AssistantError as error:
            gr.Warning(str(error))
        return self.index_view()

    def index_view(self):
        """The index summary, its article table and the choices of the remove menu."""
        import gradio as gr

        articles = self._articles()
        choices = [(f"{a.get('title') or a['id']} ({a['id']})", a["id"]) for a in articles]
        return index_summary(articles), index_rows(articles), gr.update(choices=choices, value=None)

    def _articles(self) -> list[dict]:
        import gradio as gr

        try:
            return self.assistant.articles()
        except AssistantError as error:
            gr.Warning(str(error))
            return []


# -- the page --------------------------------------------------------------------------------


def _gradio():
    try:
        import gradio as gr
    except ImportError:
        raise MissingDependencyError("Gradio", "pip install 'gradio>=6,<7'") from None
    return gr


def create_app(assistant: Assistant) -> gr.Blocks:
    """The chat page over `assistant`, with its queue set up, not launched.

    Args:
        assistant: an `Assistant` (or anything with its stream/chat/ingest/articles/remove methods).
    """
    gr = _gradio()
    handlers = Handlers(assistant)
    private = {"api_visibility": "private"}
    with gr.Blocks(title="Assistant: questions about the articles", analytics_enabled=False) as app:
        gr.Markdown("## Questions about the news articles\nAnswers come only from the indexed articles, with the passages they rest on.")
        with gr.Tab("Chat"):
            chatbot = gr.Chatbot(
                label="Conversation",
                height=560,
                latex_delimiters=[],
                feedback_options=None,
                buttons=["copy"],
                elem_id="chat",
                placeholder="Ask a question about the indexed articles, or pick an example below.",
            )
            history = gr.State([])  # the plain conversation the follow-ups are rewritten from
            pending = gr.State("")
            with gr.Row():
                question = gr.Textbox(
                    show_label=False, placeholder="Ask a question (« Où Milley a-t-il rencontré Zaluzhny ? »)", scale=6, elem_id="question", autofocus=True
                )
                ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            gr.Examples(EXAMPLES, inputs=question, label="Examples")
            clear = gr.Button("Clear the conversation", variant="secondary", size="sm", elem_id="clear")
        with gr.Tab("Articles") as articles_tab:
            gr.Markdown("### Add articles")
            files = gr.File(label=f"Articles to add ({ACCEPTED}; several at once)", file_count="multiple", type="filepath", elem_id="upload")
            add = gr.Button("Add to the index", variant="primary", elem_id="add")
            result = gr.HTML(elem_id="upload-result")
            gr.Markdown("### In the index")
            summary = gr.Markdown(elem_id="index-summary")
            table = gr.Dataframe(
                headers=["Title", "Date", "Source", "Chunks", "Id"],
                interactive=False,
                wrap=True,
                column_widths=["34%", "12%", "20%", "8%", "26%"],
                elem_id="index-table",
            )
            with gr.Row():
                chosen = gr.Dropdown(label="Article to remove", choices=[], scale=4, elem_id="remove-choice")
                remove = gr.Button("Remove from the index", variant="stop", scale=1, elem_id="remove")
        index_outputs = [summary, table, chosen]

        answering = []
        for trigger in (question.submit, ask.click):
            started = trigger(handlers.start_turn, [question, chatbot], [question, chatbot, pending, ask], queue=False, **private)
            answer = started.then(
                handlers.respond,
                [pending, chatbot, history],
                [chatbot, history],
                concurrency_limit=1,
                concurrency_id=ANSWER_QUEUE,
                **private,
            )
            answer.then(lambda: (gr.update(interactive=True), gr.update(interactive=True)), None, [question, ask], queue=False, **private)
            answering.append(answer)
        for trigger in (clear.click, chatbot.clear):  # the button below, and the chat's own trash icon
            trigger(
                lambda: ([], [], "", gr.update(interactive=True), gr.update(interactive=True)),
                None,
                [chatbot, history, pending, question, ask],
                cancels=answering,
                queue=False,
                **private,
            )

        def add_files(paths, progress=gr.Progress()):  # noqa: B008 - Gradio finds its progress bar by this default
            return handlers.add_files(paths, progress)

        add.click(
            add_files,
            files,
            [result, *index_outputs],
            concurrency_limit=1,
            concurrency_id=INDEX_QUEUE,
            api_name="add_articles",
            api_visibility="undocumented",
        ).then(lambda: None, None, files, queue=False, **private)
        remove.click(handlers.remove, chosen, index_outputs, concurrency_limit=1, concurrency_id=INDEX_QUEUE, **private)
        for trigger in (app.load, articles_tab.select):  # other sessions may have changed the index
            trigger(handlers.index_view, None, index_outputs, concurrency_limit=None, **private)
        gr.api(handlers.ask, api_name="ask", concurrency_limit=1, concurrency_id=ANSWER_QUEUE)
    app.queue(default_concurrency_limit=1)
    return app


def parse_auth(auth: str | tuple[str, str] | None) -> tuple[str, str] | None:
    """'user:password' -> (user, password); the password may itself contain ':'."""
    if auth is None or isinstance(auth, tuple):
        return auth
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise InputError("--auth takes user:password (both non-empty)")
    return user, password


def launch(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860, auth: str | tuple[str, str] | None = None, share: bool = False, **kwargs):
    """Serve the chat page until interrupted.

    Args:
        assistant: the `Assistant` to serve.
        host: interface to listen on (127.0.0.1: this machine only).
        port: TCP port.
        auth: 'user:password' required to open the page, or None.
        share: also open a public Gradio share link.
        **kwargs: passed to `gradio.Blocks.launch` (prevent_thread_lock=True returns at once).
    """
    credentials = parse_auth(auth)
    app = create_app(assistant)
    return app.launch(server_name=host, server_port=port, auth=credentials, share=share, show_error=False, css=CSS, footer_links=["api"], **kwargs)
