"""Reconcile: the engine's snapshot of every case and session against the read model, and
the read model repaired where they differ.

The engine is the truth. A row is *missing* when a workflow has none (its projection step was
skipped, or the row was deleted), *stale* when it says something the workflow does not (an
older state, or transitions a reset undid), *orphaned* when no workflow has its id any more
(the workflow was deleted). A row of a case or session that had ended is *retained* even
without its workflow: Temporal lets an ended workflow's history go after the namespace's
retention period, and the read model is where ended cases stay listed; an archived case's rows
are repaired from its archived record (edge/archive.py), the truth once its workflow is gone.
A workflow that cannot be queried (its workflow task fails) is counted as unreadable and its
rows are left alone: reconcile never deletes what it cannot prove wrong.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import Client
from temporalio.exceptions import TemporalError

from edge.archive import CaseArchive
from edge.errors import is_not_found, translated
from models.admin import ReconcileReport
from models.case.lifecycle import TERMINAL
from models.case.record import CaseSnapshot
from models.errors import CaseError
from models.ids import case_id_of, case_workflow_id, session_workflow_id
from models.precedents import answer_entry, minutes_entries
from models.projection import CaseSummary, SessionProjectionInput
from models.session.record import MinutesState, SessionRecord, SessionState
from persistence import precedents
from persistence import reconcile as rows
from persistence.archive import archived_ids
from persistence.people import PeopleBook
from persistence.seal import Sealer
from persistence.tables import CaseRow, SessionRow
from workflows.case import CaseWorkflow
from workflows.session import SessionWorkflow

log = logging.getLogger("toshin.admin")

QUERY_TIMEOUT = dt.timedelta(seconds=15)
ENDED_CASE = frozenset(state.value for state in TERMINAL)


def session_ended(row: SessionRow) -> bool:
    """A session whose workflow had nothing left to do (see models.session.schedule)."""
    return row.state == SessionState.failed_quorum or (
        row.state == SessionState.closed and row.minutes == MinutesState.published
    )


def case_summary_of(snap: CaseSnapshot) -> CaseSummary:
    """The case's read-model row as the workflow would project it now."""
    return CaseSummary(
        case_id=snap.case_id,
        external_ref=snap.external_ref,
        title=snap.document.title,
        kind=snap.document.kind,
        category=snap.category,
        department=snap.document.department,
        state=snap.state,
        fiscal_year=snap.fiscal_year,
        seq=max(t.seq for t in snap.history),
        next_deadline=snap.next_deadline,
        next_deadline_what=snap.next_deadline_what,
        parent_case=snap.document.parent_case,
    )


class Reconciler:
    """Compares and repairs one deployment's read model (its task queue's workflows)."""

    def __init__(
        self,
        client: Client,
        engine: Engine,
        task_queue: str,
        sealer: Sealer,
        people: PeopleBook | None = None,
        archive: CaseArchive | None = None,
    ) -> None:
        self.client = client
        self.sealer = sealer  # rewritten transition rows are sealed like the projection's
        self.people = people  # … and name their actor by ref, like the projection's
        self.engine = engine
        self.task_queue = task_queue
        self.archive = archive  # ended cases' records: their rows are repaired from it

    def _query(self, workflow_type: str) -> str:
        # closed workflows too: an ended case keeps its row
        return f"WorkflowType = '{workflow_type}' AND TaskQueue = '{self.task_queue}'"

    async def run(self) -> ReconcileReport:
        """Every case and session; returns what was repaired, by kind."""
        report = await self.cases()
        report.add(await self.sessions())
        return report

    async def cases(self, only: set[str] | None = None) -> ReconcileReport:
        """Every case of this task queue (or ``only`` these ids) against its rows."""
        report = ReconcileReport()
        seen: set[str] = set()
        with translated("reconcile cases"):
            ids = (
                sorted(only)
                if only is not None
                else [
                    cid
                    async for wf in self.client.list_workflows(self._query("CaseWorkflow"))
                    if (cid := case_id_of(wf.id)) is not None
                ]
            )
        with Session(self.engine) as session:
            existing = rows.case_rows(session)
            archived = archived_ids(session)
        for case_id in dict.fromkeys(ids):
            snap = await self._case_snapshot(case_id)
            if snap is None:
                report.unreadable += 1
                seen.add(case_id)
                continue
            if not isinstance(snap, CaseSnapshot):
                continue  # deleted between list and query: an orphan, below
            seen.add(case_id)
            report.cases_checked += 1
            self._repair_case(snap, report)
            self._index_answer(snap, report)
        candidates = set(existing) - seen
        if only is not None:
            candidates &= only
        for case_id in sorted(candidates):
            if case_id in archived:
                self._repair_from_archive(case_id, report)
                report.retained += 1
                continue
            if existing[case_id].state in ENDED_CASE:
                report.retained += 1
                continue
            if await self._gone(case_workflow_id(case_id)):
                with Session(self.engine) as session:
                    rows.delete_case(session, case_id)
                    session.commit()
                report.repairs("orphaned", f"case {case_id}")
        return report

    async def _case_snapshot(self, case_id: str) -> CaseSnapshot | bool | None:
        """The snapshot; None when the workflow cannot answer; False when it is gone."""
        handle = self.client.get_workflow_handle(case_workflow_id(case_id))
        try:
            snap: CaseSnapshot = await handle.query(
                CaseWorkflow.snapshot, rpc_timeout=QUERY_TIMEOUT
            )
            return snap
        except TemporalError as err:
            if is_not_found(err):
                return False
            log.warning("reconcile: case %s cannot be queried: %s", case_id, type(err).__name__)
            return None

    def _repair_from_archive(self, case_id: str, report: ReconcileReport) -> None:
        """An archived case whose workflow is gone: its rows as its archived record says (an
        unreadable record leaves them be)."""
        if self.archive is None:
            return
        try:
            snap = self.archive.snapshot(case_id)
        except CaseError as err:
            log.warning("reconcile: case %s: %s", case_id, err.error_type.value)
            return
        self._repair_case(snap, report)

    def _repair_case(self, snap: CaseSnapshot, report: ReconcileReport) -> None:
        summary = case_summary_of(snap)
        with Session(self.engine) as session:
            present = rows.transition_rows(session, snap.case_id)
            existing = session.get(CaseRow, snap.case_id)
            if not rows.case_differs(existing, present, summary, snap.history, self.people):
                return
            rows.rewrite_case(
                session,
                summary=summary,
                history=snap.history,
                now=dt.datetime.now(dt.UTC),
                sealer=self.sealer,
                people=self.people,
            )
            session.commit()
        report.repairs("missing" if existing is None else "stale", f"case {snap.case_id}")

    def _index_answer(self, snap: CaseSnapshot, report: ReconcileReport) -> None:
        """Backfill the precedents index with the case's issued answer."""
        if snap.answer is None:
            return
        entry = answer_entry(
            case_id=snap.case_id,
            title=snap.document.title,
            department=snap.document.department,
            kind=snap.document.kind.value,
            fiscal_year=snap.fiscal_year,
            decision=snap.decision,
            answer=snap.answer,
        )
        with Session(self.engine) as session:
            if precedents.write_entry(session, entry):
                session.commit()
                report.repairs("missing", f"precedent {snap.case_id}")

    def _index_minutes(self, record: SessionRecord, report: ReconcileReport) -> None:
        """Backfill the precedents index with the session's published minutes."""
        if record.minutes is not MinutesState.published:
            return
        with Session(self.engine) as session:
            written = [precedents.write_entry(session, e) for e in minutes_entries(record)]
            session.commit()
        if any(written):
            report.repairs("missing", f"minutes {record.plan.session_id}")

    async def sessions(self, only: set[str] | None = None) -> ReconcileReport:
        """Every session of this task queue (or ``only`` these ids) against its row and
        agenda rows."""
        report = ReconcileReport()
        seen: set[str] = set()
        prefix = session_workflow_id("")
        with Session(self.engine) as session:
            existing = rows.session_rows(session)
        with translated("reconcile sessions"):
            listed = (
                {session_workflow_id(i): None for i in sorted(only)}
                if only is not None
                else {
                    wf.id: None
                    async for wf in self.client.list_workflows(self._query("SessionWorkflow"))
                }
            )
        for workflow_id in listed:  # each once, though a reset or continue-as-new lists runs
            session_id = workflow_id.removeprefix(prefix)
            seen.add(session_id)
            try:
                record = await self.client.get_workflow_handle(workflow_id).query(
                    SessionWorkflow.record, rpc_timeout=QUERY_TIMEOUT
                )
            except TemporalError as err:
                log.warning("reconcile: %s cannot be queried: %s", workflow_id, type(err).__name__)
                report.unreadable += 1
                continue
            report.sessions_checked += 1
            self._index_minutes(record, report)
            row = existing.get(session_id)
            if row is not None and row.version == record.version and row.state == record.state:
                continue
            with Session(self.engine) as session:
                rows.rewrite_session(
                    session,
                    inp=SessionProjectionInput(record=record, version=record.version),
                    now=dt.datetime.now(dt.UTC),
                )
                session.commit()
            report.repairs("missing" if row is None else "stale", f"session {session_id}")
        candidates = set(existing) - seen
        if only is not None:
            candidates &= only
        for session_id in sorted(candidates):
            if session_ended(existing[session_id]):
                report.retained += 1
                continue
            if await self._gone(session_workflow_id(session_id)):
                with Session(self.engine) as session:
                    rows.delete_session(session, session_id)
                    session.commit()
                report.repairs("orphaned", f"session {session_id}")
        return report

    async def _gone(self, workflow_id: str) -> bool:
        """True only when the engine says no workflow has this id (not on any other error)."""
        try:
            await self.client.get_workflow_handle(workflow_id).describe()
        except TemporalError as err:
            return is_not_found(err)
        return False
