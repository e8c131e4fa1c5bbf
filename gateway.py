"""The edge between people-facing code (CLI, scenarios, dashboard) and the engine.

Starts and drives case workflows, and is the one place where Temporal failures are turned
back into domain errors (``models.errors``). It never writes case state itself.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from models import search_attributes as sa
from models.case import ActInput, Actor, ActResult, AdminInput, CaseConfig, CaseInput, CaseSnapshot
from models.document import ConsultationDocument
from models.errors import (
    CaseError,
    CaseNotFound,
    DuplicateCase,
    InvalidPayload,
    InvalidTransition,
    UnknownDepartment,
    describe_validation_error,
    from_type,
)
from models.ids import case_workflow_id, new_case_id
from models.jcalendar import build_closure_table, fiscal_year
from models.municipality import MunicipalityConfig, department_contacts
from models.triage import TriageTable
from settings import Settings
from workflows.case import CaseWorkflow

JST = dt.timezone(dt.timedelta(hours=9))


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.namespace,
        data_converter=pydantic_data_converter,
    )


def load_municipality(path: Path) -> MunicipalityConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return MunicipalityConfig.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidPayload(f"{path}: {exc}") from None
    except ValidationError as exc:
        raise InvalidPayload(f"{path}: {describe_validation_error(exc)}") from None


def case_config(municipality: MunicipalityConfig, *dates: dt.date | None) -> CaseConfig:
    """The rules a new case runs under, with a closure table covering its dates."""
    today = dt.datetime.now(JST).date()
    known = [d for d in (*dates, today) if d is not None]
    closures = build_closure_table(
        min(known).year - 1,
        max(known).year + municipality.calendar_years_ahead,
        municipality.local_closures,
    )
    return CaseConfig(
        policy=municipality.policy,
        triage=TriageTable(municipality=municipality.name, rules=municipality.triage_rules),
        closures=closures,
    )


def domain_error(err: BaseException, what: str) -> CaseError:
    """The one translator: a Temporal failure about ``what`` (e.g. "case 3f9a…") back into
    the domain error it carries."""
    if isinstance(err, WorkflowUpdateFailedError | WorkflowQueryFailedError):
        cause = getattr(err, "cause", None)
        if isinstance(cause, ApplicationError):
            return from_type(cause.type, cause.message)
        return CaseError(f"{what}: {cause or err}")
    if isinstance(err, RPCError) and err.status is RPCStatusCode.NOT_FOUND:
        return CaseNotFound(f"{what}: not found")
    if isinstance(err, WorkflowAlreadyStartedError):
        return DuplicateCase(f"{what} already exists")
    return CaseError(f"{what}: {err}")


class CaseGateway:
    def __init__(self, client: Client, settings: Settings, municipality: MunicipalityConfig):
        self.client = client
        self.settings = settings
        self.municipality = municipality

    def case_id_for(self, external_ref: str | None) -> str:
        return new_case_id(self.municipality.name, external_ref)

    def handle(self, case_id: str) -> WorkflowHandle[Any, Any]:
        return self.client.get_workflow_handle(case_workflow_id(case_id))

    async def create_case(
        self,
        *,
        document: ConsultationDocument,
        actor: Actor,
        external_ref: str | None = None,
        created_on: dt.date | None = None,
    ) -> CaseSnapshot:
        """Start a case workflow; a second case with the same external reference is refused,
        and so is a department the municipality's directory does not know (no one could be
        reminded of its deadlines)."""
        try:
            department_contacts(self.municipality, document.department)
        except UnknownDepartment as err:
            raise UnknownDepartment(f"document.department: {err.message}") from None
        case_id = self.case_id_for(external_ref)
        start = document.planned_start.earliest if document.planned_start else None
        config = case_config(self.municipality, created_on, document.filed_on, start)
        created = created_on or document.filed_on or dt.datetime.now(JST).date()
        attributes = TypedSearchAttributes(
            [
                SearchAttributePair(sa.CASE_STATE, "draft"),
                SearchAttributePair(sa.DEPARTMENT, document.department),
                SearchAttributePair(sa.CASE_KIND, document.kind.value),
                SearchAttributePair(sa.FISCAL_YEAR, fiscal_year(created)),
            ]
        )
        try:
            await self.client.start_workflow(
                CaseWorkflow.run,
                CaseInput(
                    case_id=case_id,
                    external_ref=external_ref,
                    document=document,
                    created_by=actor,
                    created_on=created_on,
                    config=config,
                ),
                id=case_workflow_id(case_id),
                task_queue=self.settings.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                search_attributes=attributes,
            )
        except (WorkflowAlreadyStartedError, RPCError) as err:
            if isinstance(err, RPCError) and err.status is not RPCStatusCode.ALREADY_EXISTS:
                raise
            raise DuplicateCase(
                f"external_ref: a case with {external_ref!r} already exists ({case_id})"
            ) from None
        return await self.wait_projected(case_id, 0)

    async def wait_projected(self, case_id: str, seq: int, timeout: float = 30.0) -> CaseSnapshot:
        """Poll the live snapshot until the read model has seen ``seq`` (creation only)."""
        import asyncio

        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            snap = await self.snapshot(case_id)
            if snap.projected_seq >= seq or snap.parked is not None:
                return snap
            if asyncio.get_running_loop().time() > deadline:
                return snap
            await asyncio.sleep(0.02)

    async def act(self, case_id: str, act: ActInput, *, request_id: str | None = None) -> ActResult:
        try:
            return await self.handle(case_id).execute_update(
                CaseWorkflow.act, act, id=request_id or uuid.uuid4().hex
            )
        except (WorkflowUpdateFailedError, RPCError) as err:
            raise await self._explain(err, case_id, act.trigger) from None

    async def _explain(self, err: BaseException, case_id: str, what: str) -> CaseError:
        """A case whose workflow has ended answers updates with NOT_FOUND: say it ended."""
        if isinstance(err, RPCError) and err.status is RPCStatusCode.NOT_FOUND:
            try:
                snap = await self.snapshot(case_id)
            except CaseNotFound:
                return CaseNotFound(f"case {case_id}: not found")
            return InvalidTransition(
                f"{what} is not allowed: case {case_id} has ended in {snap.state} ({snap.label})"
            )
        return domain_error(err, f"case {case_id}")

    async def snapshot(self, case_id: str) -> CaseSnapshot:
        try:
            return await self.handle(case_id).query(CaseWorkflow.snapshot)
        except (WorkflowQueryFailedError, RPCError) as err:
            raise domain_error(err, f"case {case_id}") from None

    async def admin(self, case_id: str, action: str, request: AdminInput) -> CaseSnapshot:
        update = {
            "retry": CaseWorkflow.admin_retry,
            "skip": CaseWorkflow.admin_skip,
            "abort": CaseWorkflow.admin_abort,
        }[action]
        try:
            return await self.handle(case_id).execute_update(update, request)
        except (WorkflowUpdateFailedError, RPCError) as err:
            raise await self._explain(err, case_id, f"admin {action}") from None

    async def parked_case_ids(self) -> list[str]:
        """Every running case with a parked step, from the search attribute."""
        query = "ParkedStep IS NOT NULL AND ExecutionStatus = 'Running'"
        return [
            wf.id.removeprefix("case-")
            async for wf in self.client.list_workflows(query)
            if wf.id.startswith("case-")
        ]
