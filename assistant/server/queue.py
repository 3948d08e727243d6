"""One answer at a time, whoever asks: the page, the REST API or an OpenAI client.

The page already keeps its own answers in one Gradio queue (`app.chat_tab.ANSWER_QUEUE`, one at a
time, with the reader's place shown). The API's requests do not go through Gradio, so the page is
handed this wrapper instead of the bare `Assistant`: every answer, the page's included, takes the
one turn it holds. Two cores answer one question in about two seconds; two questions at once
would each take longer than both one after the other."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..answering import last
from ..types import Answer
from .metrics import Metrics

if TYPE_CHECKING:
    from ..api import Assistant, History
    from ..types import IngestReport, Reading


class AnswerQueue:
    """`Assistant`-like: `stream`, `chat` and `ask` wait for their turn; everything else (the
    index, info, search) is the assistant's own.

    The turn is taken when the stream is first read and given back when it ends or is closed,
    so a reader who leaves (a closed tab, a dropped connection) frees it at once."""

    def __init__(self, assistant: Assistant, metrics: Metrics | None = None) -> None:
        self.assistant = assistant
        self.metrics = metrics or Metrics()
        self._turn = threading.Lock()
        self._count = threading.Lock()
        self.waiting = 0  # answers waiting for their turn, for /api/health

    def __getattr__(self, name: str):
        return getattr(self.assistant, name)

    def stream(self, message: str, history: History = None, **filters) -> Iterator[Reading | str | Answer]:
        asked = time.perf_counter()
        self._wait()
        started, first_word = time.perf_counter(), None
        try:
            for event in self.assistant.stream(message, history, **filters):
                if isinstance(event, str) and first_word is None:
                    first_word = time.perf_counter() - started
                elif isinstance(event, Answer):
                    self.metrics.answered(event, message, time.perf_counter() - started, first_word, started - asked)
                yield event
        except Exception as error:  # counted, then the caller's to report (a client that leaves is no error)
            self.metrics.failed(error)
            raise
        finally:
            self._turn.release()

    def ingest(self, *args, **kwargs) -> IngestReport:
        """`Assistant.ingest`, counted (the page's uploads and the REST API's both come here)."""
        report = self.assistant.ingest(*args, **kwargs)
        self.metrics.ingest(report)
        return report

    def chat(self, message: str, history: History = None, **filters) -> Answer:
        return last(self.stream(message, history, **filters))

    def ask(self, question: str, **filters) -> Answer:
        return last(self.stream(question, **filters))

    @property
    def busy(self) -> bool:
        return self._turn.locked()

    def _wait(self) -> None:
        with self._count:
            self.waiting += 1
        try:
            self._turn.acquire()
        finally:
            with self._count:
                self.waiting -= 1
