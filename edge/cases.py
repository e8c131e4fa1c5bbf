"""Cases: start them, act on them, read them (live from the engine, lists from the read model).

Engine-only triggers (``models.case.lifecycle.is_engine_only``) are refused here for every caller,
whatever role it claims: they are the engine's own consequences of other acts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from edge.archive import CaseArchive, payload_keyring
from edge.errors import translated
from edge.keyfiles import ensure_case_id_key
from models import search_attributes as sa
from models.calendar.clock import JST
from models.calendar.jcalendar import build_closure_table, fiscal_year
from models.case.checks import check_creation, check_creator
from models.case.document import ConsultationDocument
from models.case.lifecycle import is_engine_only
from models.case.record import (
    ActInput,
    Actor,
    ActResult,
    AdminInput,
    CaseConfig,
    CaseInput,
    CaseSnapshot,
)
from models.case.states import Trigger
from models.case.triage import TriageTable
from models.errors import (
    CaseNotFound,
    DuplicateCase,
    EngineOnly,
    InvalidTransition,
    UnknownDepartment,
)
from models.ids import case_id_of, case_workflow_id, legacy_case_id, new_case_id
from models.municipality import MunicipalityConfig, department_contacts
from persistence import repository
from persistence.database import make_engine
from persistence.tables import CaseRow
from settings import Settings
from workflows.case import CaseWorkflow

ADMIN_ACTIONS = ("retry", "skip", "abort")


def today_jst() -> dt.date:
    return dt.datetime.now(JST).date()


def case_config(municipality: MunicipalityConfig, *dates: dt.date | None) -> CaseConfig:
    """The rules a new case runs under, with a closure table covering its dates."""
    known = [d for d in (*dates, today_jst()) if d is not None]
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


@dataclass(frozen=True)
class Creation:
    """A checked new case: its id, the workflow's input and its first search attributes."""

    case_id: str
    input: CaseInput
    search_attributes: TypedSearchAttributes


def refuse_engine_only(trigger: str) -> None:
    """EngineOnly for a trigger no caller may fire (the engine fires it itself)."""
    if is_engine_only(trigger):
        raise EngineOnly(
            f"{trigger} is fired by the engine itself, as a consequence of another act; "
            "no one can ask for it"
        )


class CaseService:
    """Start, drive and read case workflows for one municipality."""

    def __init__(
        self,
        client: Client,
        settings: Settings,
        municipality: MunicipalityConfig,
        *,
        archive: CaseArchive | None = None,
    ):
        self.client = client
        self.settings = settings
        self.municipality = municipality
        self._archive = archive  # made on first use, on the settings' read model
        self._case_id_key: bytes | None = None

    @property
    def archive(self) -> CaseArchive:
        """Where ended cases are read once their workflows are gone."""
        if self._archive is None:
            keyring = payload_keyring(self.client, self.settings)
            self._archive = CaseArchive(None, keyring, self.settings)
        return self._archive

    def case_id_for(self, external_ref: str | None) -> str:
        """The id a new case gets: derived from its external reference under the case-id key
        (``TOSHIN_CASE_ID_KEY`` or the key file, made 0600 on first use), random without."""
        if self._case_id_key is None:
            self._case_id_key = ensure_case_id_key(self.settings)
        return new_case_id(self._case_id_key, self.municipality.name, external_ref)

    async def _refuse_legacy_duplicate(self, external_ref: str | None) -> None:
        """DuplicateCase when a case made before ids were keyed has this reference (its id
        is the public uuid5 of the reference)."""
        if not external_ref:
            return
        legacy = legacy_case_id(self.municipality.name, external_ref)
        try:
            with translated(f"case {legacy}"):
                await self.handle(legacy).describe()
        except CaseNotFound:
            return
        raise DuplicateCase(f"external_ref: a case with {external_ref!r} already exists ({legacy})")

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
        """Start a case workflow for ``actor`` (a department's own, or the secretariat's: see
        ``check_creator``) and return its first snapshot, once the read model shows it, in one
        round trip (update-with-start). A second case with the same external reference is
        refused, and so is a department the municipality's directory does not know (no one
        could be reminded of its deadlines): before anything is started."""
        creation = await self.prepare_creation(
            document=document, actor=actor, external_ref=external_ref, created_on=created_on
        )
        start = WithStartWorkflowOperation(
            CaseWorkflow.run,
            creation.input,
            id=case_workflow_id(creation.case_id),
            task_queue=self.settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=creation.search_attributes,
        )
        with self.duplicate_named(creation), translated(f"case {creation.case_id}"):
            return await self.client.execute_update_with_start_workflow(
                CaseWorkflow.create, actor, start_workflow_operation=start
            )

    async def prepare_creation(
        self,
        *,
        document: ConsultationDocument,
        actor: Actor,
        external_ref: str | None = None,
        created_on: dt.date | None = None,
    ) -> Creation:
        """Every check a new case passes before its workflow starts (so a refusal leaves no
        workflow behind), and what it starts with."""
        contacts_known(self.municipality, document.department)  # a typo, before who may file
        check_creator(actor, document.department)
        check_creation(document, created_on, today_jst())
        case_id = self.case_id_for(external_ref)
        await self._refuse_legacy_duplicate(external_ref)
        start = document.planned_start.earliest if document.planned_start else None
        config = case_config(self.municipality, created_on, document.filed_on, start)
        created = created_on or document.filed_on or today_jst()
        attributes = TypedSearchAttributes(
            [
                SearchAttributePair(sa.CASE_STATE, "draft"),
                SearchAttributePair(sa.DEPARTMENT, document.department),
                SearchAttributePair(sa.CASE_KIND, document.kind.value),
                SearchAttributePair(sa.FISCAL_YEAR, fiscal_year(created)),
            ]
        )
        inp = CaseInput(
            case_id=case_id,
            external_ref=external_ref,
            document=document,
            created_by=actor,
            created_on=created_on,
            config=config,
        )
        return Creation(case_id=case_id, input=inp, search_attributes=attributes)

    @contextmanager
    def duplicate_named(self, creation: Creation) -> Iterator[None]:
        """A start refused as a duplicate, said with the external reference it repeats."""
        try:
            yield
        except DuplicateCase:
            ref = creation.input.external_ref
            raise DuplicateCase(
                f"external_ref: a case with {ref!r} already exists ({creation.case_id})"
            ) from None

    async def act(self, case_id: str, act: ActInput, *, request_id: str | None = None) -> ActResult:
        """Fire a trigger on a case (an update; the workflow's validator checks it). An amended
        document must name a department of the directory, as a created one must."""
        refuse_engine_only(act.trigger)
        if act.trigger == Trigger.amend:
            document = act.payload.get("document")
            if isinstance(document, dict) and isinstance(document.get("department"), str):
                contacts_known(
                    self.municipality, document["department"], "payload.document.department"
                )
        try:
            with translated(f"case {case_id}"):
                return await self.handle(case_id).execute_update(
                    CaseWorkflow.act, act, id=request_id or uuid.uuid4().hex
                )
        except CaseNotFound:
            raise await self._ended(case_id, act.trigger) from None

    async def _ended(self, case_id: str, what: str) -> CaseNotFound | InvalidTransition:
        """A case whose workflow has ended answers updates with NOT_FOUND: say it ended."""
        try:
            snap = await self.snapshot(case_id)
        except CaseNotFound:
            return CaseNotFound(f"case {case_id}: not found")
        return InvalidTransition(
            f"{what} is not allowed: case {case_id} has ended in {snap.state} ({snap.label})"
        )

    async def snapshot(self, case_id: str) -> CaseSnapshot:
        """The case live from its workflow; once the workflow is gone (deleted, or past the
        namespace's retention), its archived record, with ``archived_at`` set."""
        try:
            with translated(f"case {case_id}"):
                return await self.handle(case_id).query(CaseWorkflow.snapshot)
        except CaseNotFound:
            return await asyncio.to_thread(self.archive.snapshot, case_id)

    async def admin(self, case_id: str, action: str, request: AdminInput) -> CaseSnapshot:
        """An admin's repair of a parked step: retry, skip or abort."""
        update = {
            "retry": CaseWorkflow.admin_retry,
            "skip": CaseWorkflow.admin_skip,
            "abort": CaseWorkflow.admin_abort,
        }[action]
        try:
            with translated(f"case {case_id}"):
                return await self.handle(case_id).execute_update(update, request)
        except CaseNotFound:
            raise await self._ended(case_id, f"admin {action}") from None

    async def parked_case_ids(self) -> list[str]:
        """Every running case of this deployment (its task queue) with a parked step, from
        the search attribute; another deployment's cases on the same server are not ours."""
        query = (
            "ParkedStep IS NOT NULL AND ExecutionStatus = 'Running' "
            f"AND TaskQueue = '{self.settings.task_queue}'"
        )
        with translated("parked cases"):
            ids = [case_id_of(wf.id) async for wf in self.client.list_workflows(query)]
        return [case_id for case_id in ids if case_id is not None]

    async def parked_cases(self) -> list[CaseSnapshot]:
        """The live snapshot of every case with a parked step."""
        snaps = [await self.snapshot(cid) for cid in await self.parked_case_ids()]
        return [s for s in snaps if s.parked is not None]


def contacts_known(
    municipality: MunicipalityConfig, department: str, field: str = "document.department"
) -> None:
    """UnknownDepartment (naming the document's field) for a department not in the directory."""
    try:
        department_contacts(municipality, department)
    except UnknownDepartment as err:
        raise UnknownDepartment(f"{field}: {err.message}") from None


def list_cases(
    settings: Settings,
    *,
    state: str | None = None,
    department: str | None = None,
    kind: str | None = None,
    fiscal_year: int | None = None,
) -> list[CaseRow]:
    """Cases from the read model, with filters."""
    engine = make_engine(settings.read_model_url)
    try:
        with Session(engine) as session:
            return list(
                repository.list_cases(
                    session,
                    state=state,
                    department=department,
                    kind=kind,
                    fiscal_year=fiscal_year,
                )
            )
    finally:
        engine.dispose()
