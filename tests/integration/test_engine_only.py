"""On the real server: the engine's own triggers cannot be asked for from outside, a case is
superseded only by a real, answered change case that names it, and an admin's abort of a
parked case is the table's rule ``abort``."""

from __future__ import annotations

import datetime as dt

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from models.case.record import AdminInput
from models.errors import EngineOnly
from models.projection import SupersedeInput
from tests.factories import act
from tests.integration.conftest import System
from tests.integration.test_failed_steps import ADMIN, _parked_case
from tests.integration.test_journey import _drive
from workflows.case import CaseWorkflow

ACTIVE_ON = dt.date(2018, 3, 1)  # the journey's last act


@pytest.mark.parametrize("role", ["engine", "secretariat"])
async def test_engine_only_triggers_are_refused_through_the_gateway(
    system: System, role: str
) -> None:
    case_id = await _drive(system.gateway)
    before = await system.gateway.snapshot(case_id)
    for trigger, payload in (
        ("flag_attention", {"reason": "偽の期限超過"}),
        ("supersede", {"change_case": "feedfacecafe"}),
        ("open_review", {}),
    ):
        with pytest.raises(EngineOnly, match=f"{trigger} is fired by the engine itself"):
            await system.gateway.act(case_id, act(trigger, role, payload))
    after = await system.gateway.snapshot(case_id)
    assert (after.state, after.history) == ("active", before.history)
    assert all(a.trigger not in ("flag_attention", "supersede") for a in after.allowed)


async def _supersede(system: System, parent: str, change: str) -> ApplicationError:
    inp = SupersedeInput(parent_case=parent, change_case=change, on=ACTIVE_ON)
    with pytest.raises(WorkflowUpdateFailedError) as exc:
        await system.gateway.handle(parent).execute_update(
            CaseWorkflow.supersede_by_change, inp, id=f"supersede-by-{change}"
        )
    cause = exc.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_a_made_up_change_case_cannot_supersede(system: System) -> None:
    case_id = await _drive(system.gateway)
    cause = await _supersede(system, case_id, "feedfacecafe")
    assert (cause.type, cause.message) == ("CaseNotFound", "change case feedfacecafe not found")
    assert (await system.gateway.snapshot(case_id)).state == "active"


async def test_a_change_case_of_another_case_cannot_supersede(system: System) -> None:
    case_id = await _drive(system.gateway)
    other = await _drive(system.gateway)  # real, answered, but it changes no case
    cause = await _supersede(system, case_id, other)
    assert cause.type == "GuardFailed"
    assert f"changes no case, not {case_id}" in cause.message
    snap = await system.gateway.snapshot(case_id)
    assert snap.state == "active" and snap.history[-1].trigger == "conditions_fulfilled"


async def test_an_admin_abort_is_the_rule_abort(system: System) -> None:
    case_id = await _parked_case(system)
    parked = await system.gateway.snapshot(case_id)
    assert [(a.trigger, a.roles) for a in parked.allowed] == [("abort", ["admin"])]
    snap = await system.gateway.admin(case_id, "abort", AdminInput(actor=ADMIN, reason="誤登録"))
    last = snap.history[-1]
    assert (last.trigger, last.source, last.dest) == ("abort", "triage", "aborted")
    assert (last.actor.role, last.reason) == ("admin", "誤登録")
    assert [a.action for a in snap.admin_log] == ["abort"]
    assert snap.allowed == []
