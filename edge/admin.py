"""An operator's work: prepare a Temporal cluster (namespace, search attributes, read model)
and repair parked steps (``CaseService.admin``, listed by ``CaseService.parked_cases``).

The dev server of `./toshin up` registers the search attributes itself; a Temporal cluster
(docker-compose.yml) needs them registered once, and the read-model tables created once before
several workers start (their concurrent CREATE TABLE would race on PostgreSQL).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from urllib.parse import quote

from google.protobuf.duration_pb2 import Duration
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    RegisterNamespaceRequest,
)
from temporalio.client import Client
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError

from edge import history
from edge.archive import CaseArchive, payload_keyring
from edge.audit import AuditTrail, Who, ensure_audit_key, people_book
from edge.connect import Edge, connect, open_edge
from edge.errors import domain_error, is_not_found, translated
from edge.identity import proven
from edge.reconcile import Reconciler
from models import search_attributes as sa
from models.accounts import UserView
from models.admin import (
    AdminVerb,
    BatchPreview,
    BatchResult,
    FailingWorkflow,
    ParkedEntry,
    ReconcileReport,
    RepairResult,
    ResetDone,
    ResetPlan,
    ResetPoint,
    Subject,
    TransitionLine,
    reason_given,
)
from models.audit import AuditAction
from models.case.checks import check_actor
from models.case.record import Actor, AdminInput, TransitionRecord
from models.case.states import Role
from models.errors import CaseError, GuardFailed, InvalidPayload
from models.ids import case_id_of, case_workflow_id, council_workflow_id, session_workflow_id
from models.session.lifecycle import RULES as SESSION_RULES
from models.session.lifecycle import Act
from models.session.record import SessionAct
from persistence.database import make_engine
from persistence.reconcile import transition_rows
from settings import Settings
from workflows.council import CouncilWorkflow

log = logging.getLogger("toshin.admin")

_TYPES = {
    "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "INT": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
}


class SetupResult(BaseModel):
    namespace: str
    namespace_registered: bool
    search_attributes_added: list[str]


async def setup(settings: Settings, retention_days: int) -> SetupResult:
    """The namespace (registered if missing), the case search attributes and the read-model
    tables. Idempotent."""
    client = await connect(settings)
    with translated(f"namespace {settings.namespace}"):
        registered = await ensure_namespace(client, settings.namespace, retention_days)
        added = await register_search_attributes(client, settings.namespace)
    make_engine(settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    return SetupResult(
        namespace=settings.namespace,
        namespace_registered=registered,
        search_attributes_added=added,
    )


async def ensure_namespace(client: Client, namespace: str, retention_days: int) -> bool:
    """Register ``namespace`` unless it exists; True when it was registered now."""
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace)
        )
        return False
    except RPCError as err:
        if not is_not_found(err):
            raise
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace,
            workflow_execution_retention_period=Duration(seconds=retention_days * 86_400),
        )
    )
    return True


async def register_search_attributes(
    client: Client, namespace: str, wait_seconds: float = 30.0
) -> list[str]:
    """Register every case search attribute missing from ``namespace``; returns the names
    added (none on a second run). One registered with another type is an error naming it.
    A namespace registered a moment ago is NOT_FOUND until the server's namespace cache
    refreshes (about 10 s): that is waited out."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return await _register_missing(client, namespace)
        except RPCError as err:
            if not is_not_found(err) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _register_missing(client: Client, namespace: str) -> list[str]:
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    existing = {**listed.system_attributes, **listed.custom_attributes}
    wanted = {key.name: _TYPES[key.indexed_value_type.name] for key in sa.ALL}
    clashes = [
        f"{name} is {IndexedValueType.Name(existing[name])}, toshin needs "
        f"{IndexedValueType.Name(kind)}"
        for name, kind in wanted.items()
        if name in existing and existing[name] != kind
    ]
    if clashes:
        raise CaseError(f"namespace {namespace}: search attribute " + "; ".join(clashes))
    missing = {name: kind for name, kind in wanted.items() if name not in existing}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)


UPDATE_TIMEOUT_S = 30.0
CLOCK_SKEW = dt.timedelta(seconds=5)  # between this host and the Temporal server


async def reproject_councils(settings: Settings) -> dict[str, int]:
    """Write every registered council's read-model row now, through its workflow's
    ``project_read_model`` update (councils started before councils were projected). The
    councils are found by their workflows (type CouncilWorkflow), not the read model.
    Returns the projected version by council id."""
    client = await connect(settings)
    done: dict[str, int] = {}
    # only this deployment's councils: another task queue's may have no worker to answer
    query = (
        "WorkflowType = 'CouncilWorkflow' AND ExecutionStatus = 'Running' "
        f"AND TaskQueue = '{settings.task_queue}'"
    )
    with translated("councils"):
        async for wf in client.list_workflows(query):
            handle = client.get_workflow_handle(wf.id)
            council_id = wf.id.removeprefix(council_workflow_id(""))
            try:
                version = await asyncio.wait_for(
                    handle.execute_update(CouncilWorkflow.project_read_model), UPDATE_TIMEOUT_S
                )
            except TimeoutError:
                raise CaseError(
                    f"council {council_id}: no answer in {UPDATE_TIMEOUT_S:.0f} s; is the "
                    "worker running?"
                ) from None
            done[council_id] = version
    return done


class AdminService:
    """The admin console's work on one deployment (its task queue): parked steps of cases
    and sessions, batch retry, reset of a case to an earlier act, failing workflow tasks,
    reconcile. Every action needs a reason and goes through ``_done``."""

    def __init__(self, edge: Edge, engine: Engine) -> None:
        self.edge = edge
        sealer = ensure_audit_key(edge.settings)
        self.audit = AuditTrail(engine, sealer)
        self.client = edge.client
        self.settings = edge.settings
        self.engine = engine
        archive = CaseArchive(engine, payload_keyring(self.client, self.settings))
        self.reconciler = Reconciler(
            self.client,
            engine,
            self.settings.task_queue,
            sealer,
            people=people_book(edge.settings),
            archive=archive,
        )

    # -- what is waiting for an admin ------------------------------------------------------

    def _running(self, extra: str = "") -> str:
        return f"ExecutionStatus = 'Running' AND TaskQueue = '{self.settings.task_queue}'{extra}"

    async def parked(self) -> list[ParkedEntry]:
        """Every parked case step and every session document that failed, oldest first."""
        entries: list[ParkedEntry] = []
        query = self._running(" AND ParkedStep IS NOT NULL")
        with translated("parked cases"):
            ids = [
                cid async for wf in self.client.list_workflows(query) if (cid := case_id_of(wf.id))
            ]
        for case_id in dict.fromkeys(ids):
            try:
                snap = await self.edge.cases.snapshot(case_id)
            except CaseError:
                continue  # it cannot answer: its failing task is in ``failing``
            if snap.parked is None:
                continue
            entries.append(
                ParkedEntry(
                    subject=Subject.case,
                    subject_id=case_id,
                    workflow_id=case_workflow_id(case_id),
                    state=snap.state.value,
                    step=snap.parked.step,
                    seq=snap.parked.seq,
                    error=snap.parked.error,
                    attempts=snap.parked.attempts,
                    since=snap.parked.since,
                    actions=[AdminVerb.retry, AdminVerb.skip, AdminVerb.abort],
                )
            )
        entries.extend(await self._session_failures())
        return sorted(entries, key=lambda e: e.since)

    async def _session_failures(self) -> list[ParkedEntry]:
        query = self._running(" AND WorkflowType = 'SessionWorkflow'")
        prefix = session_workflow_id("")
        entries: list[ParkedEntry] = []
        with translated("sessions"):
            ids = [wf.id async for wf in self.client.list_workflows(query)]
        for workflow_id in dict.fromkeys(ids):
            session_id = workflow_id.removeprefix(prefix)
            try:
                record = await self.edge.sessions.record(session_id)
            except CaseError:
                continue  # it cannot answer: its failing task is in ``failing``
            entries.extend(
                ParkedEntry(
                    subject=Subject.session,
                    subject_id=session_id,
                    workflow_id=workflow_id,
                    state=record.state.value,
                    step=f"generate_document {failure.doc_type}",
                    seq=None,
                    error=failure.error,
                    attempts=None,
                    since=failure.at,
                    actions=[AdminVerb.retry],  # a session's documents can only be made again
                )
                for failure in record.document_failures
            )
        return entries

    # -- repairs ---------------------------------------------------------------------------

    async def repair(
        self, verb: AdminVerb, subject: Subject, subject_id: str, by: AdminCaller, reason: str
    ) -> RepairResult:
        """Retry, skip or abort one parked step; says where it stands after."""
        reason = reason_given(reason)
        if verb not in (AdminVerb.retry, AdminVerb.skip, AdminVerb.abort):
            raise InvalidPayload(f"action: {verb} is not a repair (retry, skip, abort)")
        if subject is Subject.session:
            if verb is not AdminVerb.retry:
                raise InvalidPayload(
                    f"action: a session's failed documents can only be retried, not {verb}"
                )
            snap = await self.edge.sessions.act(
                subject_id, "retry_documents", SessionAct(actor=by.actor)
            )
            failures = snap.document_failures
            result = RepairResult(
                target=f"session:{subject_id}",
                verb=verb,
                state=snap.state.value,
                still_failing="; ".join(f"{f.doc_type}: {f.error}" for f in failures) or None,
            )
        else:
            case = await self.edge.cases.admin(
                subject_id, verb.value, AdminInput(actor=by.actor, reason=reason)
            )
            result = RepairResult(
                target=f"case:{subject_id}",
                verb=verb,
                state=case.state.value,
                still_failing=case.parked.error if case.parked else None,
            )
        self._done(verb, by, reason, result.target, result.line)
        return result

    async def preview_batch(self, targets: list[str]) -> BatchPreview:
        """How many parked cases and sessions a batch retry of ``targets`` (``case:<id>`` or
        ``session:<id>``) would touch, from what is parked now."""
        wanted = [parse_target(t) for t in targets]
        if not wanted:
            raise InvalidPayload("targets: choose at least one parked step")
        parked = {(e.subject, e.subject_id) for e in await self.parked()}
        chosen = list(dict.fromkeys(wanted))
        return BatchPreview(
            cases=[i for s, i in chosen if s is Subject.case and (s, i) in parked],
            sessions=[i for s, i in chosen if s is Subject.session and (s, i) in parked],
            not_parked=[f"{s}:{i}" for s, i in chosen if (s, i) not in parked],
        )

    async def batch_retry(self, targets: list[str], by: AdminCaller, reason: str) -> BatchResult:
        """Retry every parked step among ``targets``, one by one; one that parks again or is
        refused does not stop the others."""
        reason = reason_given(reason)
        preview = await self.preview_batch(targets)
        result = BatchResult(retried=[], still_parked=[], refused=[])
        todo = [(Subject.case, i) for i in preview.cases]
        todo += [(Subject.session, i) for i in preview.sessions]
        for subject, subject_id in todo:
            key = f"{subject}:{subject_id}"
            try:
                done = await self.repair(AdminVerb.retry, subject, subject_id, by, reason)
            except CaseError as err:
                result.refused.append(f"{key}: {err.error_type}: {err.message}")
                continue
            (result.still_parked if done.still_failing else result.retried).append(key)
        self._done(
            AdminVerb.batch_retry,
            by,
            reason,
            ",".join(f"{s}:{i}" for s, i in todo),
            f"{len(result.retried)} retried, {len(result.still_parked)} still parked, "
            f"{len(result.refused)} refused",
        )
        return result

    # -- reset -----------------------------------------------------------------------------

    async def _acts(self, subject: Subject, subject_id: str) -> Acts:
        """A case's or a session's acts in its current run, and the points before them."""
        if subject is Subject.case:
            snap = await self.edge.cases.snapshot(subject_id)
            with translated(f"case {subject_id}"):
                run = await history.current_run(self.client, case_workflow_id(subject_id))
                points = await history.reset_points(self.client, run, snap.history)
            notes = []
            if snap.run_count > 1:
                notes.append(
                    "transitions before the case's last continue-as-new cannot be reset to"
                )
            return Acts(
                workflow_id=case_workflow_id(subject_id),
                run=run,
                points=points,
                lines=[line_of(t) for t in snap.history],
                state_now=snap.state.value,
                parked=(snap.parked.seq, snap.parked.step) if snap.parked else None,
                notes=notes,
            )
        record = await self.edge.sessions.record(subject_id)
        workflow_id = session_workflow_id(subject_id)
        with translated(f"session {subject_id}"):
            run = await history.current_run(self.client, workflow_id)
        done = history.session_acts(run, {act.value for act in Act})
        offset = record.version - len(done)
        logged = {line.version: line for line in record.acts}
        lines = [TransitionLine(seq=0, trigger=None, source=None, dest="planned", on=None)]
        lines = lines[: 1 if offset == 0 else 0]
        for kept, update in enumerate(done, start=offset + 1):
            entry = logged.get(kept)
            lines.append(
                TransitionLine(
                    seq=kept,
                    trigger=update.name,
                    source=None,
                    dest=entry.state.value if entry else None,
                    on=entry.on if entry and entry.on else update.on.date(),
                )
            )
        moved = [i.case_id for i in record.items]
        return Acts(
            workflow_id=workflow_id,
            run=run,
            points=history.session_reset_points(done, offset),
            lines=lines,
            state_now=record.state.value,
            parked=None,
            notes=[],
            cases=moved,
        )

    async def reset_points(
        self, subject_id: str, *, subject: Subject = Subject.case
    ) -> list[ResetPoint]:
        """The acts of the case's (or session's) current run it can be reset to."""
        return (await self._acts(subject, subject_id)).points

    async def reset_plan(
        self, subject_id: str, seq: int, *, subject: Subject = Subject.case
    ) -> ResetPlan:
        """The dry run of a reset to just after act ``seq`` (a case's transition, a session's
        version): what is replayed, what is undone, what the read model loses. Changes
        nothing."""
        acts = await self._acts(subject, subject_id)
        latest = max(t.seq for t in acts.lines)
        point = next((p for p in acts.points if p.seq == seq), None)
        what = "transition" if subject is Subject.case else "act"
        if seq >= latest:
            raise InvalidPayload(f"seq: {seq} is the {subject}'s latest {what}; nothing to undo")
        if point is None:
            offered = ", ".join(str(p.seq) for p in acts.points if p.seq < latest) or "none"
            raise InvalidPayload(
                f"seq: no act of the {subject}'s current run follows {what} {seq} "
                f"(possible: {offered})"
            )
        kept = [t for t in acts.lines if t.seq <= seq]
        undone = [t for t in acts.lines if t.seq > seq]
        notes = [
            "mail already sent and document files already written stay as they are",
            "acts after this point are not applied again (neither updates nor signals)",
            *acts.notes,
        ]
        rows_after = 0
        if subject is Subject.case:
            with Session(self.engine) as session:
                rows_after = len([s for s in transition_rows(session, subject_id) if s > seq])
        else:
            notes.append("the session's read-model row is rewritten from the reset run")
            case_acts = {r.act.value for r in SESSION_RULES if r.case_trigger is not None}
            if acts.cases and any(t.trigger in case_acts for t in undone):
                notes.append(
                    "its cases keep what the undone acts did to them (reset each case on its "
                    "own if needed): " + ", ".join(acts.cases)
                )
        if acts.parked is not None and acts.parked[0] > seq:
            notes.append(f"the parked step {acts.parked[1]} (seq {acts.parked[0]}) goes too")
        return ResetPlan(
            subject=subject,
            subject_id=subject_id,
            workflow_id=acts.workflow_id,
            run_id=acts.run.run_id,
            seq=seq,
            reset_event_id=point.reset_event_id,
            state_now=acts.state_now,
            state_after=kept[-1].dest if kept else None,
            replayed=kept,
            undone=undone,
            events_dropped=len([e for e in acts.run.events if e.event_id >= point.reset_event_id]),
            read_model_rows_to_delete=rows_after,
            notes=notes,
        )

    async def reset(
        self,
        subject_id: str,
        seq: int,
        by: AdminCaller,
        reason: str,
        *,
        seen_latest: int | None = None,
        subject: Subject = Subject.case,
    ) -> ResetDone:
        """Reset the case (or session) to just after act ``seq`` (as its dry run says), wait
        for the new run to answer, and reconcile its rows. ``seen_latest``: its latest act
        when the dry run was shown; refused if it has moved since."""
        reason = reason_given(reason)
        plan = await self.reset_plan(subject_id, seq, subject=subject)
        latest = plan.undone[-1].seq
        what = "transition" if subject is Subject.case else "act"
        if seen_latest is not None and seen_latest != latest:
            raise GuardFailed(
                f"seq: {subject} {subject_id} has moved since the dry run ({what} "
                f"{seen_latest} then, {latest} now); look at the dry run again"
            )
        started = dt.datetime.now(dt.UTC)
        with translated(f"{subject} {subject_id}"):
            new_run = await history.reset(
                self.client,
                self.settings.namespace,
                plan.workflow_id,
                plan.run_id,
                plan.reset_event_id,
                seq,
                what,
            )
        if subject is Subject.case:
            repaired = await self._settled(subject_id, seq, started)
            report = await self.reconciler.cases(only={subject_id})
        else:
            repaired = await self._session_settled(subject_id, seq, started)
            report = await self.reconciler.sessions(only={subject_id})
        done = ResetDone(plan=plan, new_run_id=new_run, case_repaired=repaired, reconcile=report)
        self._done(
            AdminVerb.reset,
            by,
            reason,
            f"{subject}:{subject_id}",
            f"to {what} {seq}: {plan.state_now} → {plan.state_after}, "
            f"{len(plan.undone)} {what}(s) undone, {done.rows_repaired} row(s) repaired",
        )
        return done

    async def _settled(
        self, case_id: str, seq: int, since: dt.datetime, timeout: float = 30.0
    ) -> int:
        """Wait until the new run has met the reset (its timeline shows it) and repaired its
        rows; how many rows it repaired."""
        deadline = asyncio.get_running_loop().time() + timeout
        since -= CLOCK_SKEW
        while True:
            try:
                snap = await self.edge.cases.snapshot(case_id)
                met = [m for m in snap.resets if m.seq == seq and m.at >= since]
                if met and met[-1].rows_repaired is not None:
                    return met[-1].rows_repaired
            except CaseError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise CaseError(f"case {case_id}: the reset run did not answer in {timeout:.0f} s")
            await asyncio.sleep(0.1)

    async def _session_settled(
        self, session_id: str, seq: int, since: dt.datetime, timeout: float = 30.0
    ) -> int:
        """Wait until the session's new run has met the reset and rewritten its rows; how
        many rows it wrote."""
        deadline = asyncio.get_running_loop().time() + timeout
        since -= CLOCK_SKEW
        while True:
            try:
                record = await self.edge.sessions.record(session_id)
                met = [m for m in record.resets if m.version == seq and m.at >= since]
                if met and met[-1].rows_repaired is not None:
                    return met[-1].rows_repaired
            except CaseError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise CaseError(
                    f"session {session_id}: the reset run did not answer in {timeout:.0f} s"
                )
            await asyncio.sleep(0.1)

    # -- failing workflow tasks ----------------------------------------------------------

    async def failing(self) -> list[FailingWorkflow]:
        """Running workflows of this deployment whose workflow task keeps failing (an input
        that cannot be decoded, non-determinism …), each with its decoded error."""
        with translated("workflows"):
            listed = [wf async for wf in self.client.list_workflows(self._running())]
        found: list[FailingWorkflow] = []
        for wf in listed:
            try:
                description = await self.client.get_workflow_handle(
                    wf.id, run_id=wf.run_id
                ).describe()
                failure = await history.task_failure(self.client, description)
            except TemporalError as err:
                if is_not_found(err):
                    continue
                raise domain_error(err, wf.id) from None
            if failure is None:
                continue
            found.append(
                FailingWorkflow(
                    workflow_id=wf.id,
                    run_id=wf.run_id,
                    workflow_type=wf.workflow_type,
                    attempt=description.raw_description.pending_workflow_task.attempt,
                    cause=failure.cause,
                    error=failure.error,
                    failed_at=None
                    if failure.failed_at_seconds is None
                    else dt.datetime.fromtimestamp(failure.failed_at_seconds, dt.UTC),
                    ui_url=self.ui_url(wf.id),
                )
            )
        return found

    # -- reconcile ---------------------------------------------------------------------------

    async def reconcile(self, by: AdminCaller, reason: str) -> ReconcileReport:
        """Every case and session against the read model, repaired where they differ."""
        reason = reason_given(reason)
        report = await self.reconciler.run()
        self._done(
            AdminVerb.reconcile,
            by,
            reason,
            "read model",
            f"{report.missing} missing, {report.stale} stale, {report.orphaned} orphaned, "
            f"{report.unreadable} unreadable",
        )
        return report

    def ui_url(self, workflow_id: str) -> str:
        """The workflow in the Temporal Web UI (bound to loopback by `./toshin up`)."""
        return (
            f"http://127.0.0.1:{self.settings.ui_port}/namespaces/"
            f"{quote(self.settings.namespace)}/workflows/{quote(workflow_id)}"
        )

    def _done(
        self, action: AdminVerb, by: AdminCaller, reason: str, target: str, outcome: str
    ) -> None:
        """THE record of an admin action: every action of this service ends here, once it
        is done. The log gets what was done to what; who and why (free text that may name
        people) go to the audit trail only."""
        log.info("admin %s on %s: %s", action.value, target, outcome)
        kind, _, ident = target.partition(":")
        self.audit.record(
            by.who,
            AuditAction.admin_action,
            case_id=ident if kind == "case" and ident else None,
            detail=f"{action.value} {target}: {outcome}; reason: {reason}",
        )


async def open_admin(settings: Settings) -> AdminService:
    """The admin service on the settings' engine and read model."""
    edge = await open_edge(settings)
    engine = make_engine(
        settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    return AdminService(edge, engine)


@dataclass
class Acts:
    """A case's or a session's acts in its current run, as a reset sees them."""

    workflow_id: str
    run: history.RunHistory
    points: list[ResetPoint]
    lines: list[TransitionLine]  # every act of the run (a case: its whole history), by seq
    state_now: str
    parked: tuple[int, str] | None  # a case's parked step: (seq, step)
    notes: list[str]
    cases: list[str] = field(default_factory=list)  # a session's agenda


@dataclass(frozen=True)
class AdminCaller:
    """Who asks for an admin action: a signed-in account, which must hold admin (checked
    here, so a reset or a reconcile, which no workflow validator sees, is refused too), and
    where the request came from (the desk's client, or the CLI's host)."""

    user: UserView
    source: str

    def __post_init__(self) -> None:
        check_actor(self.actor, "admin actions", (Role.admin,), None)

    @property
    def actor(self) -> Actor:
        return proven(self.user, Role.admin)

    @property
    def who(self) -> Who:
        return Who(actor=self.user.username, role=",".join(self.user.roles), source=self.source)


def parse_target(text: str) -> tuple[Subject, str]:
    """``case:<id>`` or ``session:<id>`` (a bare id is a case)."""
    kind, _, ident = text.strip().rpartition(":")
    if not ident:
        raise InvalidPayload(f"targets: {text!r} names no case or session")
    try:
        return Subject(kind or "case"), ident
    except ValueError:
        raise InvalidPayload(f"targets: {text!r}: say case:<id> or session:<id>") from None


def line_of(t: TransitionRecord) -> TransitionLine:
    return TransitionLine(seq=t.seq, trigger=t.trigger, source=t.source, dest=t.dest, on=t.on)
