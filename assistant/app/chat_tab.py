"""The chat tab: the conversation, the question box, the filters (dates, outlets, as-of date),
and the timeline of the articles an answer drew on."""

# No `from __future__ import annotations`: Gradio reads the `gr.SelectData` annotation of the
# timeline's handler to know it wants the selection.
from .handlers import Handlers
from .texts import t

# Questions about the sample article the page opens on (it is in French).
EXAMPLES = [
    "Où Milley a-t-il rencontré Zaluzhny ?",
    "À quelle heure Milley est-il arrivé ?",
    "Qui est Valery Zaluzhny ?",
    "Résume l'article sur la rencontre entre Milley et Zaluzhny",
]
# One generation at a time: the CPU is the limit. The chat and the /ask API share this group, so
# their requests wait in one queue (and the page shows the position) instead of thrashing.
ANSWER_QUEUE = "answer"
PRIVATE = {"api_visibility": "private"}


def build(gr, handlers: Handlers, language, lang: str) -> list:
    """Lay the tab out and wire its events; returns (component, labels for a language) pairs."""
    with gr.Tab(t(lang, "tab_chat")) as tab:
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
        with gr.Accordion(t(lang, "filters"), open=False, elem_id="filters") as filters:
            with gr.Row():
                since = gr.Textbox(label=t(lang, "since"), elem_id="since")
                until = gr.Textbox(label=t(lang, "until"), elem_id="until")
                sources = gr.Dropdown(label=t(lang, "outlets_filter"), choices=[], multiselect=True, elem_id="sources")
            as_of = gr.Textbox(label=t(lang, "as_of"), elem_id="as-of")
        examples = gr.Examples(EXAMPLES, inputs=question, label=t(lang, "examples"))
        timeline = gr.ScatterPlot(x="date", y="relevance", color="outlet", tooltip="all", label=t(lang, "timeline"), height=220, elem_id="timeline")
        picked = gr.HTML(elem_id="timeline-articles")
        rows = gr.State([])
        clear = gr.Button(t(lang, "clear"), variant="secondary", size="sm", elem_id="clear")

    answering = []
    for trigger in (question.submit, ask.click):
        started = trigger(handlers.start_turn, [question, chatbot, language], [question, chatbot, pending, ask], queue=False, **PRIVATE)
        answer = started.then(
            handlers.respond,
            [pending, chatbot, history, language, since, until, sources, as_of],
            [chatbot, history, timeline, rows],
            concurrency_limit=1,
            concurrency_id=ANSWER_QUEUE,
            **PRIVATE,
        )
        answer.then(lambda: (gr.update(interactive=True), gr.update(interactive=True)), None, [question, ask], queue=False, **PRIVATE)
        answering.append(answer)
    for trigger in (clear.click, chatbot.clear):  # the button below, and the chat's own trash icon
        trigger(
            lambda: ([], [], "", gr.update(interactive=True), gr.update(interactive=True), None, [], ""),
            None,
            [chatbot, history, pending, question, ask, timeline, rows, picked],
            cancels=answering,
            queue=False,
            **PRIVATE,
        )

    def pick(shown: list, code: str, selection: gr.SelectData):
        return handlers.pick(shown, code, selection)

    timeline.select(pick, [rows, language], picked, queue=False, **PRIVATE)
    tab.select(handlers.outlets, None, sources, queue=False, **PRIVATE)  # the index may have new outlets
    return [
        (tab, lambda code: {"label": t(code, "tab_chat")}),
        (chatbot, lambda code: {"label": t(code, "conversation"), "placeholder": t(code, "placeholder_chat")}),
        (question, lambda code: {"placeholder": t(code, "placeholder_question")}),
        (ask, lambda code: {"value": t(code, "ask")}),
        (filters, lambda code: {"label": t(code, "filters")}),
        (since, lambda code: {"label": t(code, "since")}),
        (until, lambda code: {"label": t(code, "until")}),
        (sources, lambda code: {"label": t(code, "outlets_filter")}),
        (as_of, lambda code: {"label": t(code, "as_of")}),
        (examples.dataset, lambda code: {"label": t(code, "examples")}),
        (timeline, lambda code: {"label": t(code, "timeline")}),
        (clear, lambda code: {"value": t(code, "clear")}),
    ]
