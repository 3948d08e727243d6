"""The articles tab: uploading articles, the list of those indexed (searchable, filtered by
outlet and dates), and removing one."""

from __future__ import annotations

from .handlers import Handlers
from .texts import t

ACCEPTED = ".txt, .md, .html, .json, .jsonl"
INDEX_QUEUE = "index"  # ingests and removals: one writer at a time, beside the answers
PRIVATE = {"api_visibility": "private"}


def build(gr, handlers: Handlers, language, lang: str, app) -> list:
    """Lay the tab out and wire its events; returns (component, labels for a language) pairs."""
    with gr.Tab(t(lang, "tab_articles")) as tab:
        add_title = gr.Markdown(t(lang, "add_title"))
        files = gr.File(label=t(lang, "files", accepted=ACCEPTED), file_count="multiple", type="filepath", elem_id="upload")
        add = gr.Button(t(lang, "add"), variant="primary", elem_id="add")
        result = gr.HTML(elem_id="upload-result")
        in_index = gr.Markdown(t(lang, "in_index"))
        summary = gr.Markdown(elem_id="index-summary")
        with gr.Row():
            search = gr.Textbox(label=t(lang, "search"), scale=3, elem_id="article-search")
            outlet = gr.Dropdown(label=t(lang, "outlet"), choices=[], multiselect=True, scale=2, elem_id="article-outlet")
            since = gr.Textbox(label=t(lang, "since"), scale=1, elem_id="article-since")
            until = gr.Textbox(label=t(lang, "until"), scale=1, elem_id="article-until")
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
    view = [language, search, outlet, since, until]
    shown = [summary, table, chosen, outlet]

    def add_files(paths, code, *listing, progress=gr.Progress()):  # noqa: B008 - Gradio finds its progress bar by this default
        return handlers.add_files(paths, code, progress, *listing)

    add.click(add_files, [files, *view], [result, *shown], concurrency_limit=1, concurrency_id=INDEX_QUEUE, **PRIVATE).then(
        lambda: None, None, files, queue=False, **PRIVATE
    )
    gr.api(handlers.add_articles, api_name="add_articles", concurrency_limit=1, concurrency_id=INDEX_QUEUE)
    remove.click(handlers.remove, [chosen, *view], shown, concurrency_limit=1, concurrency_id=INDEX_QUEUE, **PRIVATE)
    for trigger in (app.load, tab.select, search.submit, outlet.input, since.submit, until.submit):  # others may have changed the index
        trigger(handlers.index_view, view, shown, concurrency_limit=None, **PRIVATE)
    return [
        (tab, lambda code: {"label": t(code, "tab_articles")}),
        (add_title, lambda code: {"value": t(code, "add_title")}),
        (files, lambda code: {"label": t(code, "files", accepted=ACCEPTED)}),
        (add, lambda code: {"value": t(code, "add")}),
        (in_index, lambda code: {"value": t(code, "in_index")}),
        (search, lambda code: {"label": t(code, "search")}),
        (outlet, lambda code: {"label": t(code, "outlet")}),
        (since, lambda code: {"label": t(code, "since")}),
        (until, lambda code: {"label": t(code, "until")}),
        (table, lambda code: {"headers": t(code, "columns").split("|")}),
        (chosen, lambda code: {"label": t(code, "remove_choice")}),
        (remove, lambda code: {"value": t(code, "remove")}),
    ]
