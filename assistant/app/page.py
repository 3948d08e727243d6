"""The browser chat: a thin Gradio page over `Assistant`.

`create_app(assistant)` builds the page without starting a server (tests and embedding use it);
`launch(...)` serves it. The HTML comes from `render`, the events' work from `handlers`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InputError, MissingDependencyError
from . import articles_tab, chat_tab
from .handlers import Handlers
from .texts import DEFAULT, LANGUAGES, t

if TYPE_CHECKING:
    import gradio as gr

    from ..api import Assistant
    from .pending import Pending

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
.qa-quote { font-style: italic; }
.qa-timeline-pick ul { margin: .2em 0; padding-left: 1.2em; }
"""


def _gradio():
    try:
        import gradio as gr
    except ImportError:
        raise MissingDependencyError("Gradio", "pip install 'gradio>=6,<7'") from None
    return gr


def create_app(assistant: Assistant | Pending, lang: str = DEFAULT) -> gr.Blocks:
    """The chat page over `assistant`, with its queue set up, not launched.

    Args:
        assistant: an `Assistant` (or anything with its stream/chat/ingest/articles/remove methods:
            a `Pending` one).
        lang: the page's language when it opens ("fr" or "en"); each reader can switch.
    """
    gr = _gradio()
    handlers = Handlers(assistant)
    with gr.Blocks(title="Assistant", analytics_enabled=False) as app:
        language = gr.State(lang)
        with gr.Row():
            header = gr.Markdown(t(lang, "title"))
            chooser = gr.Radio([(name, code) for code, name in LANGUAGES.items()], value=lang, label=t(lang, "language"), scale=0, elem_id="language")
        labelled = [
            (header, lambda code: {"value": t(code, "title")}),
            (chooser, lambda code: {"label": t(code, "language")}),
            *chat_tab.build(gr, handlers, language, lang),
            *articles_tab.build(gr, handlers, language, lang, app),
        ]

        def relabel(code: str):
            """Every label of the page in the reader's language."""
            return code, *(gr.update(**labels(code)) for _, labels in labelled)

        chooser.change(relabel, chooser, [language, *(component for component, _ in labelled)], queue=False, api_visibility="private")
        gr.api(handlers.ask, api_name="ask", concurrency_limit=1, concurrency_id=chat_tab.ANSWER_QUEUE)
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
    assistant: Assistant | Pending,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | tuple[str, str] | None = None,
    share: bool = False,
    lang: str = DEFAULT,
    **kwargs,
):
    """Serve the chat page until interrupted (with prevent_thread_lock=True, return it served).

    Args:
        assistant: the `Assistant` to serve (or a `Pending` one, set once the page is up).
        host: interface to listen on (127.0.0.1: this machine only).
        port: TCP port.
        auth: 'user:password' required to open the page, or None.
        share: also open a public Gradio share link.
        lang: the page's language when it opens ("fr" or "en").
        **kwargs: passed to `gradio.Blocks.launch` (prevent_thread_lock=True returns at once).
    """
    credentials = parse_auth(auth)
    app = create_app(assistant, lang)
    app.launch(server_name=host, server_port=port, auth=credentials, share=share, show_error=False, css=CSS, footer_links=["api"], **kwargs)
    return app
