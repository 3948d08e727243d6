"""The browser chat: a thin Gradio page over `Assistant`.

`create_app(assistant)` builds the page without starting a server (tests and embedding use it);
`launch(...)` serves it. The HTML comes from `render`, the events' work from `handlers`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InputError, MissingDependencyError
from .handlers import Handlers
from .texts import DEFAULT, LANGUAGES, t

if TYPE_CHECKING:
    import gradio as gr

    from ..api import Assistant

# Questions about the sample article the page opens on (it is in French).
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


def create_app(assistant: Assistant, lang: str = DEFAULT) -> gr.Blocks:
    """The chat page over `assistant`, with its queue set up, not launched.

    Args:
        assistant: an `Assistant` (or anything with its stream/chat/ingest/articles/remove methods).
        lang: the page's language when it opens ("fr" or "en"); each reader can switch.
    """
    gr = _gradio()
    handlers = Handlers(assistant)
    private = {"api_visibility": "private"}
    with gr.Blocks(title="Assistant", analytics_enabled=False) as app:
        language = gr.State(lang)
        with gr.Row():
            header = gr.Markdown(t(lang, "title"))
            chooser = gr.Radio([(name, code) for code, name in LANGUAGES.items()], value=lang, label=t(lang, "language"), scale=0, elem_id="language")
        with gr.Tab(t(lang, "tab_chat")) as chat_tab:
            chatbot = gr.Chatbot(
                label=t(lang, "conversation"),
                height=560,
                latex_delimiters=[],
                feedback_options=None,
                buttons=["copy"],
                elem_id="chat",
                placeholder=t(lang, "placeholder_chat"),
            )
            history = gr.State([])  # the plain conversation the follow-ups are rewritten from
            pending = gr.State("")
            with gr.Row():
                question = gr.Textbox(show_label=False, placeholder=t(lang, "placeholder_question"), scale=6, elem_id="question", autofocus=True)
                ask = gr.Button(t(lang, "ask"), variant="primary", scale=1, elem_id="ask")
            examples = gr.Examples(EXAMPLES, inputs=question, label=t(lang, "examples"))
            clear = gr.Button(t(lang, "clear"), variant="secondary", size="sm", elem_id="clear")
        with gr.Tab(t(lang, "tab_articles")) as articles_tab:
            add_title = gr.Markdown(t(lang, "add_title"))
            files = gr.File(label=t(lang, "files", accepted=ACCEPTED), file_count="multiple", type="filepath", elem_id="upload")
            add = gr.Button(t(lang, "add"), variant="primary", elem_id="add")
            result = gr.HTML(elem_id="upload-result")
            in_index = gr.Markdown(t(lang, "in_index"))
            summary = gr.Markdown(elem_id="index-summary")
            table = gr.Dataframe(
                headers=t(lang, "columns").split("|"),
                interactive=False,
                wrap=True,
                column_widths=["34%", "12%", "20%", "8%", "26%"],
                elem_id="index-table",
            )
            with gr.Row():
                chosen = gr.Dropdown(label=t(lang, "remove_choice"), choices=[], scale=4, elem_id="remove-choice")
                remove = gr.Button(t(lang, "remove"), variant="stop", scale=1, elem_id="remove")
        index_outputs = [summary, table, chosen]

        def relabel(code: str):
            """Every label of the page in the reader's language."""
            return (
                code,
                gr.update(value=t(code, "title")),
                gr.update(label=t(code, "language")),
                gr.update(label=t(code, "tab_chat")),
                gr.update(label=t(code, "conversation"), placeholder=t(code, "placeholder_chat")),
                gr.update(placeholder=t(code, "placeholder_question")),
                gr.update(value=t(code, "ask")),
                gr.update(label=t(code, "examples")),
                gr.update(value=t(code, "clear")),
                gr.update(label=t(code, "tab_articles")),
                gr.update(value=t(code, "add_title")),
                gr.update(label=t(code, "files", accepted=ACCEPTED)),
                gr.update(value=t(code, "add")),
                gr.update(value=t(code, "in_index")),
                gr.update(headers=t(code, "columns").split("|")),
                gr.update(label=t(code, "remove_choice")),
                gr.update(value=t(code, "remove")),
                *handlers.index_view(code)[:1],
            )

        labelled = [language, header, chooser, chat_tab, chatbot, question, ask, examples.dataset, clear, articles_tab, add_title, files, add, in_index, table]
        chooser.change(relabel, chooser, [*labelled, chosen, remove, summary], queue=False, **private)

        answering = []
        for trigger in (question.submit, ask.click):
            started = trigger(handlers.start_turn, [question, chatbot, language], [question, chatbot, pending, ask], queue=False, **private)
            answer = started.then(
                handlers.respond,
                [pending, chatbot, history, language],
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

        def add_files(paths, code, progress=gr.Progress()):  # noqa: B008 - Gradio finds its progress bar by this default
            return handlers.add_files(paths, code, progress)

        add.click(
            add_files,
            [files, language],
            [result, *index_outputs],
            concurrency_limit=1,
            concurrency_id=INDEX_QUEUE,
            api_name="add_articles",
            api_visibility="undocumented",
        ).then(lambda: None, None, files, queue=False, **private)
        remove.click(handlers.remove, [chosen, language], index_outputs, concurrency_limit=1, concurrency_id=INDEX_QUEUE, **private)
        for trigger in (app.load, articles_tab.select):  # other sessions may have changed the index
            trigger(handlers.index_view, language, index_outputs, concurrency_limit=None, **private)
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


def launch(
    assistant: Assistant,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | tuple[str, str] | None = None,
    share: bool = False,
    lang: str = DEFAULT,
    **kwargs,
):
    """Serve the chat page until interrupted.

    Args:
        assistant: the `Assistant` to serve.
        host: interface to listen on (127.0.0.1: this machine only).
        port: TCP port.
        auth: 'user:password' required to open the page, or None.
        share: also open a public Gradio share link.
        lang: the page's language when it opens ("fr" or "en").
        **kwargs: passed to `gradio.Blocks.launch` (prevent_thread_lock=True returns at once).
    """
    credentials = parse_auth(auth)
    app = create_app(assistant, lang)
    return app.launch(server_name=host, server_port=port, auth=credentials, share=share, show_error=False, css=CSS, footer_links=["api"], **kwargs)
