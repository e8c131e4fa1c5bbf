"""Councils (審議会): register one, read it, plan its sessions; and its sessions through the
same service (``SessionService``), for callers that hold one handle on a council's work."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from edge.cases import case_config
from edge.errors import translated
from edge.sessions import SessionService, person
from models.accounts import UserView
from models.case.record import Actor
from models.errors import DuplicateCase
from models.ids import council_workflow_id
from models.municipality import MunicipalityConfig
from models.session.council import Council, SessionPlan
from models.session.council_registry import CouncilInput, CouncilSnapshot, PlanSession
from models.session.minutes import Minutes
from models.session.record import SessionClock, SessionRecord, SessionSnapshot
from persistence import repository
from persistence.database import make_engine
from persistence.tables import CouncilRow, SessionRow
from settings import Settings
from workflows.council import CouncilWorkflow


class CouncilService:
    """Register and read councils, plan their sessions, and reach those sessions."""

    def __init__(self, client: Client, settings: Settings, municipality: MunicipalityConfig):
        self.client = client
        self.settings = settings
        self.municipality = municipality
        self.sessions = SessionService(client, settings, municipality)

    def handle(self, council_id: str) -> WorkflowHandle[Any, Any]:
        return self.client.get_workflow_handle(council_workflow_id(council_id))

    async def register(self, council: Council) -> CouncilSnapshot:
        """Start the council's workflow; a council id can be registered once."""
        closures = case_config(self.municipality).closures
        try:
            with translated(f"council {council.council_id}"):
                await self.client.start_workflow(
                    CouncilWorkflow.run,
                    CouncilInput(council=council, closures=closures),
                    id=council_workflow_id(council.council_id),
                    task_queue=self.settings.task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                )
        except DuplicateCase:
            raise DuplicateCase(f"council_id: {council.council_id} is already registered") from None
        return await self.council(council.council_id)

    async def council(self, council_id: str) -> CouncilSnapshot:
        with translated(f"council {council_id}"):
            return await self.handle(council_id).query(CouncilWorkflow.snapshot)

    async def plan(
        self, actor: Actor, plan: SessionPlan, *, clock: SessionClock | None = None
    ) -> SessionSnapshot:
        """Plan a session of the council (the secretariat's act on the council). ``clock``
        pins the session's "today" (tests, scenario runs); without it the session reads JST."""
        with translated(f"council {plan.council_id}"):
            session_id: str = await self.handle(plan.council_id).execute_update(
                CouncilWorkflow.plan_session, PlanSession(actor=actor, plan=plan, clock=clock)
            )
        return await self.sessions.session(session_id)

    async def plan_as_person(self, plan: SessionPlan, user: UserView) -> SessionSnapshot:
        """A signed-in person plans a session (``roles_for("plan_session")``)."""
        return await self.plan(person("plan_session", user), plan)

    async def session(self, session_id: str) -> SessionSnapshot:
        return await self.sessions.session(session_id)

    async def record(self, session_id: str) -> SessionRecord:
        return await self.sessions.record(session_id)

    async def minutes(self, session_id: str, *, public: bool) -> Minutes:
        return await self.sessions.minutes(session_id, public=public)

    async def act(self, session_id: str, name: str, request: BaseModel) -> SessionSnapshot:
        return await self.sessions.act(session_id, name, request)


def list_councils(settings: Settings) -> list[CouncilRow]:
    """Councils from the read model (projected by their workflows)."""
    engine = make_engine(settings.read_model_url)
    try:
        return repository.list_councils(engine)
    finally:
        engine.dispose()


def list_sessions(
    settings: Settings,
    *,
    council_id: str | None = None,
    state: str | None = None,
    fiscal_year: int | None = None,
) -> list[SessionRow]:
    """Sessions from the read model, soonest first, with filters."""
    engine = make_engine(settings.read_model_url)
    try:
        return repository.list_sessions(
            engine, council_id=council_id, state=state, fiscal_year=fiscal_year
        )
    finally:
        engine.dispose()
