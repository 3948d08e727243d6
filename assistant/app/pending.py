"""The chat page's assistant while it opens: the page is up before the index and the models.

Importing llama-index and opening the index take a second or more, and the models several; a
reader spends longer than that typing the first question. `assistant chat` therefore serves the
page over a `Pending` assistant first, then opens the real one: each call the page makes waits
until it is there (or raises what opening it raised)."""

from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..api import Assistant


class Pending:
    """An assistant to come: `set` it (or `fail`), and every attribute waits for it."""

    def __init__(self) -> None:
        self._future: Future[Assistant] = Future()

    def set(self, assistant: Assistant) -> Assistant:
        self._future.set_result(assistant)
        return assistant

    def fail(self, error: BaseException) -> None:
        self._future.set_exception(error)

    def __getattr__(self, name: str):
        return getattr(self._future.result(), name)
