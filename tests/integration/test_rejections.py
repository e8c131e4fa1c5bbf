"""Bad input is refused with a typed error that names the reason, and nothing changes:
no history event, no read-model row, same state."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from models.errors import (
    CaseError,
    CaseNotFound,
    DuplicateCase,
    GuardFailed,
    InvalidPayload,
    InvalidTransition,
    RoleNotAllowed,
    UnknownDepartment,
)
from models.ids import case_workflow_id
from tests.factories import act, actor, document
from tests.integration.conftest import System
from workflows.case import CaseWorkflow


async def _history_length(system: System, case_id: str) -> int:
    history = await system.client.get_workflow_handle(case_workflow_id(case_id)).fetch_history()
    return len(history.events)


@pytest.mark.parametrize(
    ("trigger", "role", "payload", "error", "words"),
    [
        ("decide", "council", {}, InvalidTransition, "not allowed from triage"),
        ("require_consultation", "department", {"reason": "x"}, RoleNotAllowed, "secretariat"),
        ("require_consultation", "secretariat", {}, InvalidPayload, "payload.reason"),
        (
            "require_consultation",
            "secretariat",
            {"reason": "x", "bogus": 1},
            InvalidPayload,
            "payload.bogus",
        ),
        (
            "require_consultation",
            "secretariat",
            {"reason": "x", "category": "maybe"},
            InvalidPayload,
            "payload.category",
        ),
        ("waive_consultation", "secretariat", {"reason": "x"}, GuardFailed, "cannot be waived"),
        ("no_such_trigger", "secretariat", {}, InvalidPayload, "trigger"),
    ],
)
async def test_refused_act_changes_nothing(
    system: System,
    trigger: str,
    role: str,
    payload: dict[str, Any],
    error: type[CaseError],
    words: str,
) -> None:
    # planned start 2019: external linkage was a required consultation then, so no waiving
    doc = document(planned_start={"year": 2019, "month": 12, "jun": "early"})
    snap = await system.gateway.create_case(
        document=doc, actor=actor("department"), created_on=dt.date(2019, 6, 3)
    )
    await system.gateway.act(snap.case_id, act("submit", "department", on=dt.date(2019, 6, 3)))
    before = await _history_length(system, snap.case_id)
    rows_before = system.sql("select seq, state from cases where case_id = :c", c=snap.case_id)

    with pytest.raises(error) as caught:
        await system.gateway.act(snap.case_id, act(trigger, role, payload))

    assert words in caught.value.message
    assert await _history_length(system, snap.case_id) == before
    assert system.sql("select seq, state from cases where case_id = :c", c=snap.case_id) == (
        rows_before
    )
    after = await system.gateway.snapshot(snap.case_id)
    assert after.state == "triage" and len(after.history) == 2


async def test_future_date_is_refused(system: System) -> None:
    snap = await system.gateway.create_case(document=document(), actor=actor("department"))
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    with pytest.raises(InvalidPayload, match=r"on: .* is in the future"):
        await system.gateway.act(snap.case_id, act("submit", "department", on=tomorrow))
    assert (await system.gateway.snapshot(snap.case_id)).state == "draft"


async def test_incomplete_document_cannot_be_submitted(system: System) -> None:
    doc = document(reason=None, record_items=[], linkage_form=None)
    snap = await system.gateway.create_case(document=doc, actor=actor("department"))
    with pytest.raises(GuardFailed) as caught:
        await system.gateway.act(snap.case_id, act("submit", "department"))
    for field in ("reason", "record_items", "linkage_form"):
        assert field in caught.value.message
    assert (await system.gateway.snapshot(snap.case_id)).state == "draft"


async def test_unknown_case_id(system: System) -> None:
    with pytest.raises(CaseNotFound, match="nope123"):
        await system.gateway.act("nope123", act("submit", "department"))
    with pytest.raises(CaseNotFound):
        await system.gateway.snapshot("nope123")


async def test_same_external_reference_twice_is_refused(system: System) -> None:
    first = await system.gateway.create_case(
        document=document(), actor=actor("department"), external_ref="諮問第870号"
    )
    with pytest.raises(DuplicateCase, match="諮問第870号"):
        await system.gateway.create_case(
            document=document(title="別の件名"),
            actor=actor("department"),
            external_ref="諮問第870号",
        )
    rows = system.sql("select case_id, title from cases")
    assert rows == [(first.case_id, first.document.title)]


async def test_ended_case_refuses_acts_with_its_state(system: System) -> None:
    snap = await system.gateway.create_case(document=document(), actor=actor("department"))
    await system.gateway.act(snap.case_id, act("withdraw", "department", {"reason": "中止"}))
    await system.gateway.handle(snap.case_id).result()  # archived, the workflow completed
    with pytest.raises(InvalidTransition, match="ended in withdrawn"):
        await system.gateway.act(snap.case_id, act("submit", "department"))


@pytest.mark.parametrize(
    ("overrides", "role", "error", "words"),
    [
        (
            {"created_on": dt.date.today() + dt.timedelta(days=3)},
            "department",
            InvalidPayload,
            "created_on",
        ),
        ({"department": "存在しない課"}, "department", UnknownDepartment, "document.department"),
        ({}, "council", RoleNotAllowed, "creating a case"),
    ],
)
async def test_refused_creation_leaves_no_workflow_behind(
    system: System, overrides: dict[str, Any], role: str, error: type[CaseError], words: str
) -> None:
    ref = f"諮問-refused-{error.__name__}"
    created_on = overrides.pop("created_on", None)
    with pytest.raises(error) as caught:
        await system.gateway.create_case(
            document=document(**overrides),
            actor=actor(role),
            external_ref=ref,
            created_on=created_on,
        )
    assert words in caught.value.message
    case_id = system.gateway.case_id_for(ref)
    with pytest.raises(RPCError, match="not found"):
        await system.gateway.handle(case_id).describe()
    assert system.sql("select case_id from cases where case_id = :c", c=case_id) == []


async def test_creation_answers_with_the_projected_case_in_one_call(system: System) -> None:
    snap = await system.gateway.create_case(document=document(), actor=actor("department"))
    assert (snap.state, snap.projected_seq, len(snap.history)) == ("draft", 0, 1)
    # the read model shows it already: the answer waited for the projection, no polling
    assert system.sql("select state, seq from cases where case_id = :c", c=snap.case_id) == [
        ("draft", 0)
    ]


async def test_the_creating_update_refuses_a_case_already_created(system: System) -> None:
    creator = actor("department")
    snap = await system.gateway.create_case(document=document(), actor=creator)
    await system.gateway.act(snap.case_id, act("submit", "department"))
    before = await _history_length(system, snap.case_id)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await system.gateway.handle(snap.case_id).execute_update(CaseWorkflow.create, creator)
    assert "exists already (in triage)" in str(caught.value.cause)
    assert await _history_length(system, snap.case_id) == before
