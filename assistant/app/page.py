"""The browser chat: a thin Gradio page over `Assistant`.

`create_app(assistant)` builds the page without starting a server (tests and embedding use it);
`launch(...)` serves it. The HTML comes from `render`, the events' work from `handlers`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InputError, MissingDependencyError
from .handlers import Handlers

if TYPE_CHECKING:
    import gradio as gr

    from ..api import Assistant

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
.qa-trace { margin-top: .4em; font-size: .8em; opacity: .8; }
.qa-trace-table td, .qa-trace-table th { padding: .1em .5em; text-align: left; }
"""


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
