"""A council registered on the dev server gets its `councils` row from its own workflow, and
each session it plans is counted there; no member's name reaches the table."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import text
from temporalio.client import WorkflowHandle

from models.calendar.jcalendar import build_closure_table
from models.ids import council_workflow_id
from models.session.council_registry import CouncilInput, PlanSession
from persistence.repository import list_councils
from persistence.tables import CouncilRow
from tests.factories import actor
from tests.integration.conftest import System
from tests.integration.test_sessions import council, plan
from workflows.council import CouncilWorkflow

JST = dt.timezone(dt.timedelta(hours=9))


async def register(system: System, council_id: str) -> WorkflowHandle[CouncilWorkflow, None]:
    """Start the council's workflow (what registering it at the edge does)."""
    today = dt.datetime.now(JST).date()
    return await system.client.start_workflow(
        CouncilWorkflow.run,
        CouncilInput(
            council=council(council_id),
            closures=build_closure_table(today.year - 1, today.year + 2),
        ),
        id=council_workflow_id(council_id),
        task_queue=system.settings.task_queue,
    )


async def row_when(
    system: System, council_id: str, ready: Callable[[CouncilRow], bool], seconds: float = 15
) -> CouncilRow:
    """The council's row as soon as ``ready`` holds for it (polls; fails after ``seconds``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        row = next((r for r in list_councils(system.engine) if r.council_id == council_id), None)
        if row is not None and ready(row):
            return row
        if loop.time() > deadline:
            raise AssertionError(f"councils row of {council_id} not ready in {seconds} s: {row}")
        await asyncio.sleep(0.05)


@pytest.mark.both_dbs
async def test_a_registered_council_is_projected_and_counts_its_sessions(system: System) -> None:
    cid = f"c{uuid.uuid4().hex[:8]}"
    handle = await register(system, cid)

    row = await row_when(system, cid, lambda r: True)
    assert (row.name, row.seats, row.quorum, row.member_count, row.sessions_planned) == (
        "とうしん市個人情報保護審議会",
        10,
        "majority_of_seats",
        10,
        0,
    )
    registered = row.version

    starts = dt.datetime.now(JST) + dt.timedelta(days=7)
    session_id = await handle.execute_update(
        CouncilWorkflow.plan_session,
        PlanSession(actor=actor("secretariat", "総務課 湯浅"), plan=plan(cid, 1, starts)),
    )
    assert session_id == f"{cid}-{plan(cid, 1, starts).fiscal_year}-1"

    row = await row_when(system, cid, lambda r: r.sessions_planned == 1)
    assert row.version > registered
    (stored,) = system.sql("SELECT * FROM councils WHERE council_id = :cid", cid=cid)
    assert not [value for value in stored if "委員" in str(value) or "湯浅" in str(value)]


async def test_a_council_rewrites_its_row_when_asked(system: System) -> None:
    """What an operator runs for a council whose run started before councils were projected."""
    cid = f"c{uuid.uuid4().hex[:8]}"
    handle = await register(system, cid)
    first = await row_when(system, cid, lambda r: True)
    with system.engine.begin() as conn:
        conn.execute(text("DELETE FROM councils WHERE council_id = :cid"), {"cid": cid})
    assert list_councils(system.engine) == []

    version = await handle.execute_update(CouncilWorkflow.project_read_model)

    (row,) = list_councils(system.engine)
    assert (row.council_id, row.version, row.member_count) == (cid, version, 10)
    assert version > first.version
