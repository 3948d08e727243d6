"""The question path as a pipeline of named stages, each leaving a step in the answer's trace.

A stage is any object with a `name` and a `run(query)` method that reads and fills fields of
the `Query` and returns a `Decision` (or, to stream, yields events and then returns one). A
decision with a refusal ends the question there. The stages, in order (`answering.wiring.build`):

    understand -> scope -> retrieve -> summarize -> passage_gate -> evidence -> sentence_gate
    -> draft -> verify -> verbatim -> corroborate -> decide -> attribute

Stages hand each other typed values, the fields of the `Query` (`query`): each stage declares
which it reads and which it fills (`reads`, `fills`), and `Pipeline` checks, when it is built, that every
field a stage reads is filled before it runs. The trace is a record for people and the
evaluation, derived from those values; no stage reads it. The answer travels as sentences with
their passage numbers and is rendered to text once, at the end (`rendering`).
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..types import Answer, Reading, Step
from . import rendering
from .policy import Refusal, refusal_text
from .query import Query

Event = Reading | str  # what a stage may stream: the passages being read, pieces of the draft


@dataclass(frozen=True)
class Decision:
    """What a stage decided: a few words, its figures (JSON-able), a refusal if it refused, and
    `done` when it answered the question itself (a summary): the stages after it do not run."""

    decision: str = "passed"
    details: dict = field(default_factory=dict)
    refusal: Refusal | None = None
    done: bool = False


class Stage(Protocol):
    name: str
    reads: tuple[str, ...]  # the fields of Query the stage needs
    fills: tuple[str, ...]  # the fields it sets

    def run(self, query: Query) -> Decision | Generator[Event, None, Decision]: ...


# Fields the Query holds before any stage runs.
GIVEN = ("message", "history", "filters", "started")


class Pipeline:
    """Stages run in order over one Query; the last stage's result becomes the Answer."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        filled = set(GIVEN)
        for stage in stages:
            missing = set(stage.reads) - filled
            if missing:
                raise ValueError(f"stage {stage.name!r} reads {sorted(missing)}, which no stage before it fills")
            filled |= set(stage.fills)
        self.stages = list(stages)

    @property
    def names(self) -> list[str]:
        return [stage.name for stage in self.stages]

    def stage(self, name: str) -> Stage:
        """The stage of this name (to run it alone, or to read its settings)."""
        found = next((stage for stage in self.stages if stage.name == name), None)
        if found is None:
            raise ValueError(f"no stage {name!r}: the stages are {self.names}")
        return found

    def stream(self, query: Query, until: str | None = None, enforce: bool = True) -> Iterator[Event | Answer]:
        """Run the stages, yielding what they stream, then the Answer.

        Args:
            query: the question (message and history filled in).
            until: stop after the stage of this name (the evaluation's retrieval-only runs).
            enforce: False records refusals in the trace without stopping (with `until`, to
                measure every question's evidence, refused or not).
        """
        if until is not None:
            self.stage(until)  # fails early on a misspelled name
        for stage in self.stages:
            started = time.perf_counter()
            result = stage.run(query)
            if isinstance(result, Generator):
                result = yield from result
            seconds = time.perf_counter() - started
            query.timings[f"{stage.name}_s"] = seconds
            decision = "refused" if result.refusal and enforce else result.decision
            details = {**result.details, "refusal": result.refusal.value} if result.refusal else result.details
            query.trace.append(Step(stage.name, seconds, decision, details))
            if result.refusal and enforce:
                yield answer(query, result.refusal)
                return
            if stage.name == until or result.done:
                break
        yield answer(query)


def answer(query: Query, refusal: Refusal | None = None) -> Answer:
    """The Answer to the query as the stages left it: refused, or its checked text."""
    query.timings["total_s"] = time.perf_counter() - query.started
    rewritten = query.question if query.question and query.question != query.message else None
    return Answer(
        question=query.message,
        text=refusal_text(query.language) if refusal else rendering.text(query),
        refused=refusal is not None,
        citations=[] if refusal else list(query.citations),
        passages=list(query.passages),
        timings=dict(query.timings),
        standalone_question=rewritten,
        refusal_probability=query.draft.refusal_probability if query.draft else None,
        refusal_reason=refusal.value if refusal else None,
        draft=query.draft.text if query.draft else None,
        trace=list(query.trace),
        language=query.language,
        outcome="refused" if refusal else query.outcome,
        confidence=None if refusal else query.confidence,
    )


def last(events: Iterator[Event | Answer]) -> Answer:
    """The Answer at the end of a stream (what `ask` returns)."""
    found = None
    for event in events:
        found = event
    if not isinstance(found, Answer):
        raise RuntimeError("the pipeline ended without an answer")
    return found
