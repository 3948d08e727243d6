"""The model writes a short answer from the evidence, streamed as it writes."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

from .. import languages, prompts
from ..generation import StepWatch
from ..types import Reading
from .citations import format_context
from .pipeline import Decision, Event
from .policy import Refusal
from .query import Query, Written

if TYPE_CHECKING:
    from ..generation import Generator as Model


class Draft:
    """Shows the passages being read, then streams the model's answer.

    Reads: question, language, passages, evidence. Fills: draft.
    Refuses when the model writes nothing, or when its first step gives its refusal word at
    least `refusal_threshold` (then the rest is not even read)."""

    name = "draft"
    reads = ("question", "language", "passages", "evidence")
    fills = ("draft",)

    def __init__(self, llm: Callable[[], Model], max_tokens: int, refusal_threshold: float) -> None:
        self._llm = llm
        self.max_tokens, self.refusal_threshold = max_tokens, refusal_threshold
        self._refusal_tokens: list[int] | None = None

    def run(self, query: Query) -> Generator[Event, None, Decision]:
        yield Reading(query.passages)  # a reader sees the sources while the model reads them
        watch = StepWatch(self._refusal_token_ids())
        messages = prompts.answer_messages(format_context(query.evidence.excerpts), query.question, languages.name(query.language))
        pieces: list[str] = []
        for piece in self._llm().stream(messages, self.max_tokens, watch=watch):
            if not pieces:
                query.timings["first_token_s"] = time.perf_counter() - query.started
                if (watch.probability or 0.0) >= self.refusal_threshold:
                    break  # the model leans to « not in the passages »: no need to hear the rest
            pieces.append(piece)
            yield piece
        # How sure the model was of each token it wrote (the confidence models read them).
        query.draft = Written("".join(pieces), watch.probability, tuple(watch.chosen[: len(pieces) + 1]))
        details = {"draft": query.draft.text, "refusal_probability": watch.probability, "token_probabilities": list(query.draft.token_probabilities)}
        if not query.draft.text:
            unsure = (watch.probability or 0.0) >= self.refusal_threshold
            return Decision(details=details, refusal=Refusal.THRESHOLD if unsure else Refusal.MODEL)
        return Decision("written", details)

    def _refusal_token_ids(self) -> list[int]:
        if self._refusal_tokens is None:
            self._refusal_tokens = self._llm().first_tokens([prompts.REFUSAL_WORD])
        return self._refusal_tokens
