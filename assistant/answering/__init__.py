"""Answering a question: the pipeline of stages (`pipeline`), one module per stage, and the
refusal policy (`policy`). `wiring.build` wires the default stages from the settings: it is not
imported here, so that what needs only the light pieces (the chat page renders citations and
refusals) does not import every stage, and llama-index with them, before the page is up."""

from __future__ import annotations

from .pipeline import Pipeline, last
from .policy import Refusal, refusal_text
from .query import Query

__all__ = ["Pipeline", "Query", "Refusal", "last", "refusal_text"]
