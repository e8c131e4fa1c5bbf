"""A step that still fails after its bounded retries parks the case (visible in the snapshot
and the ParkedStep search attribute) until an admin retries, skips or aborts it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from models.case.record import AdminInput
from models.case.states import Role
from models.errors import GuardFailed, NoParkedStep, RoleNotAllowed
from models.ids import case_workflow_id
from tests.factories import act, actor, document
from tests.integration.conftest import System
from tests.integration.polling import until
from workflows.case import CaseWorkflow

ADMIN = actor(Role.admin, "運用管理者")


@contextmanager
def read_model_locked(system: System) -> Iterator[None]:
    """A real fault: another process holds an exclusive lock on the SQLite read model."""
    path = system.settings.read_model_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


async def _parked_ids(system: System, expect_present: bool, case_id: str) -> list[str]:
    """The parked case ids once ``case_id`` is (or no longer is) among them: visibility is
    eventually consistent (milliseconds). Absent is only asked after present was seen."""
    return await until(
        system.gateway.parked_case_ids,
        lambda ids: (case_id in ids) == expect_present,
        timeout=10,
        what=f"{case_id} {'in' if expect_present else 'out of'} the parked list",
    )


async def _parked_case(system: System) -> str:
    snap = await system.gateway.create_case(document=document(), actor=actor("department"))
    with read_model_locked(system):
        parked = await system.gateway.act(snap.case_id, act("submit", "department"))
    assert parked.state == "triage"  # the transition happened; its projection did not
    assert parked.parked is not None
    assert parked.parked.step == "project_transition"
    assert parked.parked.seq == 1
    assert parked.parked.attempts == 2
    assert "locked" in parked.parked.error
    return snap.case_id


async def test_parked_step_is_retried_by_admin_and_the_case_goes_on(system: System) -> None:
    with read_model_locked(system):
        snap = await system.gateway.create_case(document=document(), actor=actor("department"))
        case_id = snap.case_id
        assert snap.parked is not None and snap.parked.seq == 0
        assert case_id in await _parked_ids(system, True, case_id)
        with pytest.raises(GuardFailed, match="parked"):
            await system.gateway.act(case_id, act("submit", "department"))
        still = await system.gateway.admin(case_id, "retry", AdminInput(actor=ADMIN, reason="まだ"))
        assert still.parked is not None  # the fault is still there: parked again

    repaired = await system.gateway.admin(
        case_id, "retry", AdminInput(actor=ADMIN, reason="ロック解除後に再実行")
    )
    assert repaired.parked is None
    assert system.sql("select state, seq from cases where case_id = :c", c=case_id) == [
        ("draft", 0)
    ]
    assert case_id not in await _parked_ids(system, False, case_id)
    assert [(a.action, a.actor.name, a.reason) for a in repaired.admin_log] == [
        ("retry", "運用管理者", "まだ"),
        ("retry", "運用管理者", "ロック解除後に再実行"),
    ]
    goes_on = await system.gateway.act(case_id, act("submit", "department"))
    assert goes_on.state == "triage" and goes_on.parked is None
    assert system.sql("select state from cases where case_id = :c", c=case_id) == [("triage",)]


async def test_skip_drops_the_step_with_a_reason(system: System) -> None:
    case_id = await _parked_case(system)
    snap = await system.gateway.admin(
        case_id, "skip", AdminInput(actor=ADMIN, reason="手動で台帳に記載済み")
    )
    assert snap.parked is None and snap.state == "triage"
    assert snap.admin_log[-1].action == "skip"
    assert system.sql("select seq from case_transitions where case_id = :c", c=case_id) == [(0,)]
    # the next transition brings the case row up to date again
    await system.gateway.act(
        case_id, act("require_consultation", "secretariat", {"reason": "特に必要"})
    )
    assert system.sql("select state, seq from cases where case_id = :c", c=case_id) == [
        ("precheck", 2)
    ]


async def test_abort_ends_the_case(system: System) -> None:
    case_id = await _parked_case(system)
    snap = await system.gateway.admin(case_id, "abort", AdminInput(actor=ADMIN, reason="誤登録"))
    assert snap.state == "aborted"
    assert snap.history[-1].reason == "誤登録"
    handle = system.client.get_workflow_handle_for(CaseWorkflow.run, case_workflow_id(case_id))
    result = await handle.result()
    assert result.state == "aborted"
    assert system.sql("select state from cases where case_id = :c", c=case_id) == [("aborted",)]


async def test_admin_actions_need_a_parked_step_and_the_admin_role(system: System) -> None:
    snap = await system.gateway.create_case(document=document(), actor=actor("department"))
    with pytest.raises(NoParkedStep):
        await system.gateway.admin(snap.case_id, "retry", AdminInput(actor=ADMIN, reason="x"))
    case_id = await _parked_case(system)
    with pytest.raises(RoleNotAllowed):
        await system.gateway.admin(
            case_id, "retry", AdminInput(actor=actor("secretariat"), reason="x")
        )
