"""`assistant serve`: the chat page, a REST API and an OpenAI-compatible API in one process
(docs/server.md)."""

from .access import ApiKeys
from .app import create_server, serve
from .limits import Limits
from .queue import AnswerQueue

__all__ = ["AnswerQueue", "ApiKeys", "Limits", "create_server", "serve"]
