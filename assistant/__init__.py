"""Question answering over news articles, with cited passages, on a local CPU.

from assistant import Assistant
answer = Assistant.open("index/").ask("Où Milley a-t-il rencontré Zaluzhny ?")
"""

from .errors import AssistantError, IndexStoreError, InputError, MissingDependencyError, ModelError
from .types import Answer, Article, Citation, IngestReport, Passage, Reading

__all__ = [
    "Answer",
    "Article",
    "Assistant",
    "AssistantError",
    "Citation",
    "IndexStoreError",
    "IngestReport",
    "InputError",
    "MissingDependencyError",
    "ModelError",
    "Passage",
    "Reading",
]


def __getattr__(name: str):
    # Importing the API pulls in llama-index (about a second): only when it is used.
    if name == "Assistant":
        from .api import Assistant

        return Assistant
    raise AttributeError(name)
