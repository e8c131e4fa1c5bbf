"""Property tests over every act payload and session act (``tests.strategies``): whatever a
caller sends, the trigger's (or session act's) model either takes it or refuses it with pydantic's ValidationError, whose every
error names a field the caller sent or left out (the one line ``InvalidPayload`` carries);
never another exception. The payloads the schema allows are also within the act budget."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from pydantic import BaseModel, ValidationError

from models.case.lifecycle import PAYLOADS
from models.case.record import ActInput
from models.case.states import Trigger
from models.errors import describe_validation_error
from models.session.lifecycle import Act
from tests.factories import actor
from tests.fuzzing import examples
from tests.strategies import ACT_PAYLOADS, SESSION_ACTS, SESSION_INPUTS, valid_payload

RAN: Counter[str] = Counter()


def _names_a_field(model: type[BaseModel], sent: Any, loc: tuple[int | str, ...]) -> bool:
    """``loc`` leads through what was sent to a value sent, or to a field left out."""
    node = sent
    for part in loc[:-1]:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        else:
            return False
    if not loc:
        return True
    last = loc[-1]
    if isinstance(node, list):
        return isinstance(last, int) and last < len(node)
    return isinstance(node, dict)  # a field sent, or one missing from this object


@pytest.mark.parametrize("trigger", list(PAYLOADS), ids=str)
def test_every_payload_is_taken_or_refused_naming_the_field(trigger: Trigger) -> None:
    model = PAYLOADS[trigger]

    @settings(max_examples=examples(25))
    @given(sent=ACT_PAYLOADS[trigger])
    def check(sent: dict[str, Any]) -> None:
        RAN[str(trigger)] += 1
        try:
            model.model_validate(sent)
        except ValidationError as exc:
            line = describe_validation_error(exc, "payload")
            assert line.startswith("payload") and "\n" not in line, line
            for err in exc.errors():
                assert _names_a_field(model, sent, err["loc"]), (err, sent)

    check()
    assert RAN[str(trigger)] >= min(examples(25), 10)


@pytest.mark.parametrize("trigger", list(PAYLOADS), ids=str)
def test_a_payload_the_schema_allows_fits_the_act_budget(trigger: Trigger) -> None:
    """The largest payloads the schema allows still go through ``ActInput`` (nesting, size)
    or are refused by it as one ValidationError naming ``payload``."""

    @settings(max_examples=examples(10))
    @given(sent=valid_payload(PAYLOADS[trigger]))
    def check(sent: dict[str, Any]) -> None:
        try:
            ActInput(trigger=trigger, actor=actor("council"), payload=sent)
        except ValidationError as exc:
            assert [e["loc"][0] for e in exc.errors()] == ["payload"], exc

    check()


@pytest.mark.parametrize("act", list(SESSION_INPUTS), ids=str)
def test_every_session_act_is_taken_or_refused_naming_the_field(act: Act) -> None:
    model = SESSION_INPUTS[act]

    @settings(max_examples=examples(25))
    @given(sent=SESSION_ACTS[act])
    def check(sent: dict[str, Any]) -> None:
        RAN[str(act)] += 1
        try:
            model.model_validate(sent)
        except ValidationError as exc:
            line = describe_validation_error(exc)
            assert "\n" not in line, line
            for err in exc.errors():
                assert _names_a_field(model, sent, err["loc"]), (err, sent)

    check()
    assert RAN[str(act)] >= min(examples(25), 10)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("on", "0001-01-01", "on: Value error, 0001-01-01 is outside 1868-01-25"),
        ("case_ids", ["c"] * 101, "case_ids: List should have at most 100 items"),
        ("case_ids", ["a\u202eb"], "case_ids.0: Value error, a bidirectional control"),
    ],
)
def test_a_session_act_refuses_a_day_outside_the_calendar_and_unbounded_lists(
    field: str, value: object, words: str
) -> None:
    """Found by the session fuzz: ``add_items`` dated 0001-01-01 passed the validator and failed
    the session's workflow task for ever (the case's act refused the date in the handler)."""
    sent = {"actor": actor("secretariat").model_dump(mode="json"), "case_ids": ["c1"]}
    with pytest.raises(ValidationError) as refused:
        SESSION_INPUTS[Act.add_items].model_validate({**sent, field: value})
    assert words in describe_validation_error(refused.value)


def test_a_question_of_a_megabyte_is_refused_naming_the_field() -> None:
    sent = {
        "actor": actor("chair").model_dump(mode="json"),
        "case_id": "c1",
        "qa": {"speaker_role": "委員", "question": "q" * 1_000_000},
    }
    with pytest.raises(ValidationError) as refused:
        SESSION_INPUTS[Act.record_qa].model_validate(sent)
    assert "qa.question: String should have at most 4000 characters" in (
        describe_validation_error(refused.value)
    )
