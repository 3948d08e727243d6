"""The pipeline's check, when it is built, that every field a stage reads is filled before it runs.

The fake stages read and fill fields of their own (only the Query's given fields are shared with
the product), so these tests hold whatever fields the Query gains or renames."""

from dataclasses import fields

import pytest

from assistant.answering.pipeline import GIVEN, Decision, Pipeline
from assistant.answering.query import Query


class Stage:
    """A stage that fills its fields with its own name and reads nothing more than it declares."""

    def __init__(self, name: str, reads: tuple[str, ...] = (), fills: tuple[str, ...] = ()) -> None:
        self.name, self.reads, self.fills = name, reads, fills

    def run(self, query: Query) -> Decision:
        seen = {field: getattr(query, field) for field in self.reads}  # fails if a field was never set
        for field in self.fills:
            setattr(query, field, self.name)
        return Decision(details={"seen": seen})


def test_stages_reading_what_the_query_is_given_or_an_earlier_stage_filled_are_accepted():
    stages = [
        Stage("outline", reads=(GIVEN[0],), fills=("plan",)),
        Stage("sketch", reads=("plan",), fills=("sketch", "notes")),
        Stage("finish", reads=("plan", "notes", GIVEN[0])),
    ]
    answer = list(Pipeline(stages).stream(Query("Une question ?")))[-1]
    assert [step.stage for step in answer.trace] == ["outline", "sketch", "finish"]
    assert answer.trace[-1].details["seen"] == {"plan": "outline", "notes": "sketch", GIVEN[0]: "Une question ?"}


def test_a_stage_reading_a_field_only_a_later_stage_fills_is_refused_naming_it():
    stages = [Stage("sketch", reads=("plan",), fills=("sketch",)), Stage("outline", fills=("plan",))]
    with pytest.raises(ValueError, match=r"stage 'sketch' reads \['plan'\], which no stage before it fills"):
        Pipeline(stages)


def test_a_field_no_stage_fills_is_refused_and_only_the_missing_ones_are_named():
    stages = [Stage("outline", fills=("plan",)), Stage("finish", reads=("plan", "verdict", "notes"))]
    with pytest.raises(ValueError, match=r"'finish' reads \['notes', 'verdict'\]"):
        Pipeline(stages)


def test_the_default_stages_pass_the_check_and_declare_fields_of_the_query(make_assistant):
    known = {f.name for f in fields(Query)}
    for confidence_model in ("", "default"):  # without and with the decide stage
        pipeline = make_assistant(confidence_model=confidence_model).pipeline  # answering.wiring.build ran the check
        Pipeline(pipeline.stages)  # and it still holds, built again from the same stages
        assert pipeline.names[0] == "understand" and "draft" in pipeline.names
        assert ("decide" in pipeline.names) == bool(confidence_model)
        for stage in pipeline.stages:
            assert set(stage.reads) | set(stage.fills) <= known, f"{stage.name} declares a field the Query does not have"
