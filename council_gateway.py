"""The edge for councils and sessions: registers councils, plans sessions, and sends the
secretariat's, chair's and council's acts to a session; Temporal failures come back as
domain errors."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from gateway import case_config, domain_error
from models.case import Actor
from models.council import Council, SessionPlan
from models.council_registry import CouncilInput, CouncilSnapshot, PlanSession
from models.errors import DuplicateCase
from models.ids import council_workflow_id, session_workflow_id
from models.minutes import Minutes, build_minutes
from models.municipality import MunicipalityConfig
from models.session import SessionRecord, SessionSnapshot
from settings import Settings
from workflows.council import CouncilWorkflow
from workflows.session import SessionWorkflow

SESSION_ACTS = {
    "add_items": SessionWorkflow.add_items,
    "send_notice": SessionWorkflow.send_notice,
    "send_materials": SessionWorkflow.send_materials,
    "open_session": SessionWorkflow.open_session,
    "carry_over": SessionWorkflow.carry_over,
    "open_item": SessionWorkflow.open_item,
    "record_qa": SessionWorkflow.record_qa,
    "decide_item": SessionWorkflow.decide_item,
    "issue_answer": SessionWorkflow.issue_answer,
    "close_session": SessionWorkflow.close_session,
    "redact": SessionWorkflow.redact,
    "approve_minutes": SessionWorkflow.approve_minutes,
    "publish_minutes": SessionWorkflow.publish_minutes,
    "replace_closures": SessionWorkflow.replace_closures,
    "retry_documents": SessionWorkflow.retry_documents,
}


class CouncilGateway:
    def __init__(self, client: Client, settings: Settings, municipality: MunicipalityConfig):
        self.client = client
        self.settings = settings
        self.municipality = municipality

    async def register(self, council: Council) -> CouncilSnapshot:
        """Start the council's workflow; a council id can be registered once."""
        closures = case_config(self.municipality).closures
        try:
            await self.client.start_workflow(
                CouncilWorkflow.run,
                CouncilInput(council=council, closures=closures),
                id=council_workflow_id(council.council_id),
                task_queue=self.settings.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            )
        except WorkflowAlreadyStartedError:
            raise DuplicateCase(f"council_id: {council.council_id} is already registered") from None
        return await self.council(council.council_id)

    async def council(self, council_id: str) -> CouncilSnapshot:
        handle = self.client.get_workflow_handle(council_workflow_id(council_id))
        try:
            return await handle.query(CouncilWorkflow.snapshot)
        except (WorkflowQueryFailedError, RPCError) as err:
            raise domain_error(err, f"council {council_id}") from None

    async def plan(self, actor: Actor, plan: SessionPlan) -> SessionSnapshot:
        handle = self.client.get_workflow_handle(council_workflow_id(plan.council_id))
        try:
            session_id = await handle.execute_update(
                CouncilWorkflow.plan_session, PlanSession(actor=actor, plan=plan)
            )
        except (WorkflowUpdateFailedError, RPCError) as err:
            raise domain_error(err, f"council {plan.council_id}") from None
        return await self.session(session_id)

    async def session(self, session_id: str) -> SessionSnapshot:
        handle = self.client.get_workflow_handle(session_workflow_id(session_id))
        try:
            return await handle.query(SessionWorkflow.snapshot)
        except (WorkflowQueryFailedError, RPCError) as err:
            raise domain_error(err, f"session {session_id}") from None

    async def record(self, session_id: str) -> SessionRecord:
        handle = self.client.get_workflow_handle(session_workflow_id(session_id))
        try:
            return await handle.query(SessionWorkflow.record)
        except (WorkflowQueryFailedError, RPCError) as err:
            raise domain_error(err, f"session {session_id}") from None

    async def minutes(self, session_id: str, *, public: bool) -> Minutes:
        """The session's minutes in the municipality's date style (public: redacted)."""
        return build_minutes(
            await self.record(session_id),
            style=self.municipality.date_style,
            fiscal_rule=self.municipality.fiscal_era_rule,
            public=public,
        )

    async def act(self, session_id: str, name: str, request: BaseModel) -> SessionSnapshot:
        """Send one act (``SESSION_ACTS``) to a session."""
        handle = self.client.get_workflow_handle(session_workflow_id(session_id))
        update: Any = SESSION_ACTS[name]
        try:
            await handle.execute_update(update, request, id=uuid.uuid4().hex)
        except (WorkflowUpdateFailedError, RPCError) as err:
            raise domain_error(err, f"session {session_id}") from None
        return await self.session(session_id)
