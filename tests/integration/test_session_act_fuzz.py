"""Generated session acts (``tests.strategies.SESSION_ACTS``) as raw updates to a real session
workflow on the dev server, with two real cases on its agenda: each is accepted or refused with
a typed error (``models.errors.ErrorType``), and no workflow task of the session or of its
cases ever fails.

Each update names an act the session allows now (one time in five any act), signed by an
account in a role the session's table gives it, aimed at a case on the agenda four times in
five; the rest of the input is hypothesis's, drawn up front (the session's state changes as
acts are accepted, so the draws cannot depend on it)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from edge.cases import CaseService
from edge.councils import CouncilService
from models.errors import ErrorType
from models.ids import case_workflow_id, session_workflow_id
from models.session.lifecycle import Act
from tests.factories import actor
from tests.fuzzing import PROFILE, TIMEOUT_SECONDS, examples
from tests.integration.test_sessions import council, plan_on_its_day, ready_case, setup
from tests.strategies import SESSION_ACTS, drawn

__all__ = ["setup"]  # the fixture: a council registered on the system's worker
pytestmark = pytest.mark.timeout(TIMEOUT_SECONDS)
UPDATE_SECONDS = 60
ROLES = ("secretariat", "chair", "council")


async def _no_task_failed(client: Client, workflow_id: str) -> None:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    failed = [
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]
    assert failed == [], (workflow_id, failed[0].workflow_task_failed_event_attributes)


async def _session(cases: CaseService, councils: CouncilService) -> tuple[str, list[str]]:
    council_id = f"c{uuid.uuid4().hex[:8]}"
    await councils.register(council(council_id))
    session_id = (await plan_on_its_day(councils, council_id, 1)).session_id
    case_ids = [await ready_case(cases, f"審議{n}") for n in (1, 2)]
    handle = councils.client.get_workflow_handle(session_workflow_id(session_id))
    secretariat = actor("secretariat").model_dump(mode="json")
    await handle.execute_update("add_items", {"actor": secretariat, "case_ids": case_ids})
    return session_id, case_ids


async def test_generated_session_acts_are_taken_or_refused_typed_and_no_task_fails(
    setup: tuple[CaseService, CouncilService, str],
) -> None:
    cases, councils, _ = setup
    client = councils.client
    session_id, case_ids = await _session(cases, councils)
    sessions, every_case = [session_id], list(case_ids)
    handle = client.get_workflow_handle(session_workflow_id(session_id))

    # the regression the fuzz found: a day outside the calendar failed the task for ever
    dated = {"actor": actor("secretariat").model_dump(mode="json"), "on": "0001-01-01"}
    try:
        await handle.execute_update("send_notice", dated)
    except WorkflowUpdateFailedError as exc:
        assert isinstance(exc.cause, ApplicationError) and exc.cause.type == "InvalidPayload"
        assert "on: Value error, 0001-01-01 is outside" in str(exc.cause)
    else:
        raise AssertionError("send_notice dated 0001-01-01 was accepted")

    pools = {act: drawn(strategy, examples(6)) for act, strategy in SESSION_ACTS.items()}
    pick = random.Random(PROFILE)
    outcomes: Counter[str] = Counter()
    for n in range(examples(25, deep=400)):
        before = await councils.session(session_id)
        offered = {a.act: a.roles for a in before.allowed if a.act in pools}
        act = Act(pick.choice(list(offered) if offered and pick.random() < 0.8 else list(pools)))
        role = pick.choice(list(offered.get(act, ())) or ROLES)
        raw: dict[str, Any] = {**pools[act][n % len(pools[act])]}
        raw["actor"] = actor(role).model_dump(mode="json")
        if "case_id" in raw and pick.random() < 0.8:
            raw["case_id"] = pick.choice(case_ids)
        try:
            await asyncio.wait_for(handle.execute_update(act.value, raw), UPDATE_SECONDS)
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            assert isinstance(cause, ApplicationError), repr(cause)
            assert cause.type in ErrorType.__members__, (act, cause.type, str(cause))
            outcomes[f"refused {cause.type}"] += 1
            after = await councils.session(session_id)
            assert after.version == before.version, (act, raw)
            continue
        outcomes["accepted"] += 1
        if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
            session_id, case_ids = await _session(cases, councils)  # ended: a new one
            sessions.append(session_id)
            every_case += case_ids
            handle = client.get_workflow_handle(session_workflow_id(session_id))

    print(f"session act fuzz: {sum(outcomes.values())} updates: {dict(sorted(outcomes.items()))}")
    assert outcomes["accepted"] >= 1
    for sid in sessions:
        await _no_task_failed(client, session_workflow_id(sid))
    for case_id in every_case:
        await _no_task_failed(client, case_workflow_id(case_id))
