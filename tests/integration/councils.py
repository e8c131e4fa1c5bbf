"""A council and a session held today for the desk's integration tests: ten members (m1 the
chair), no lead times, and a session on a clock pinned to its day."""

from __future__ import annotations

import datetime as dt

from edge.connect import Edge
from models.calendar.clock import ClockEpoch
from models.ids import council_workflow_id
from models.policy import CasePolicy
from models.session.council import SessionPlan
from models.session.council_registry import PlanSession
from models.session.record import SessionClock
from tests.factories import actor
from tests.integration.conftest import FAST_POLICY
from tests.integration.test_sessions import JST
from workflows.council import CouncilWorkflow

POLICY = CasePolicy(
    **{
        **FAST_POLICY.model_dump(),
        "notice_lead_business_days": 0,
        "materials_lead_business_days": 0,
    }
)


async def session_held_today(edge: Edge, council_id: str) -> str:
    """A session held today (JST) on a clock pinned to its day, so its acts fall on the
    session day even after midnight and no test waits for a day to come."""
    now = dt.datetime.now(JST)
    starts = min(
        now + dt.timedelta(minutes=1), dt.datetime.combine(now.date(), dt.time(23, 59), JST)
    )
    plan = SessionPlan(
        council_id=council_id,
        ordinal=1,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        place="市役所3階庁議室",
    )
    clock = SessionClock(epoch=ClockEpoch(at=now, on=plan.held_on))
    handle = edge.client.get_workflow_handle(council_workflow_id(council_id))
    session_id: str = await handle.execute_update(
        CouncilWorkflow.plan_session,
        PlanSession(actor=actor("secretariat", "総務課"), plan=plan, clock=clock),
    )
    return session_id
