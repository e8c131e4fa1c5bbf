"""Keeps the read model current: one idempotent write per case transition, per council
change and per accepted session act."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from temporalio import activity

from models.audit import AuditAction
from models.precedents import minutes_entries
from models.projection import (
    CaseResetInput,
    CouncilProjectionInput,
    ProjectionResult,
    ProjectTransitionInput,
    SessionProjectionInput,
    SessionResetInput,
)
from models.session.record import MinutesState
from persistence import audit, precedents, repository
from persistence.people import PeopleBook
from persistence.reconcile import rewrite_case, rewrite_session
from persistence.seal import Sealer

ENGINE_WHO = {"actor": "engine", "role": "engine", "source": "temporal"}


class ProjectionActivities:
    def __init__(
        self, engine: Engine, sealer: Sealer | None = None, people: PeopleBook | None = None
    ) -> None:
        self._engine = engine
        self._sealer = sealer  # the audit key: each transition row gets its MAC
        self._people = people  # the actor's name goes to ``people``, the row names a ref

    @activity.defn(name="project_transition")
    def project_transition(self, inp: ProjectTransitionInput) -> None:
        """Write a transition (sealed with its MAC, its actor as a ref into ``people``) and the
        case row it leads to. Idempotent by (case id, seq)."""
        with Session(self._engine) as session:
            repository.project_transition(
                session,
                summary=inp.summary,
                transition=inp.transition,
                now=dt.datetime.now(dt.UTC),
                sealer=self._sealer,
                people=self._people,
            )
            if inp.precedent is not None:
                precedents.write_entry(session, inp.precedent)
            session.commit()

    @activity.defn(name="repair_after_reset")
    def repair_after_reset(self, inp: CaseResetInput) -> int:
        """After the case met a reset: its row and transition log made to say what it holds
        now (the same rewrite as reconcile's), and the reset recorded in the audit trail
        (who: the engine; no person, no reason). Idempotent: the record is keyed by the
        case and the reset's time. Returns how many read-model rows it changed."""
        now = dt.datetime.now(dt.UTC)
        with Session(self._engine) as session:
            changed = rewrite_case(
                session,
                summary=inp.summary,
                history=inp.history,
                now=now,
                sealer=self._sealer,
                people=self._people,
            )
            session.commit()
        mark, case_id = inp.mark, inp.summary.case_id
        self._audit_reset(
            AuditAction.case_reset,
            case_id,
            f"at {mark.at.isoformat()}",
            f"reset to transition {mark.seq} ({mark.state.value})",
            changed,
        )
        return changed

    @activity.defn(name="repair_session_after_reset")
    def repair_session_after_reset(self, inp: SessionResetInput) -> int:
        """After a session met a reset: its row and agenda rows rewritten as its record says
        now (reconcile's rule), and the reset audited once (who: the engine). Idempotent.
        Returns how many rows it wrote."""
        record, mark = inp.record, inp.mark
        with Session(self._engine) as session:
            rewrite_session(
                session,
                inp=SessionProjectionInput(record=record, version=record.version),
                now=dt.datetime.now(dt.UTC),
            )
            session.commit()
        written = 1 + len(record.items)
        session_id = record.plan.session_id
        self._audit_reset(
            AuditAction.session_reset,
            None,
            f"at {mark.at.isoformat()}",
            f"session {session_id}: reset to act {mark.version} ({mark.state.value})",
            written,
        )
        return written

    def _audit_reset(
        self, action: AuditAction, case_id: str | None, key: str, what: str, rows: int
    ) -> None:
        """One engine record of a reset (``what`` at ``key``, the reset's time), unless a try
        before wrote it."""
        if self._sealer is None:
            return
        once = f"{what} {key}"
        with self._engine.connect() as conn:
            if audit.has_record(conn, action=action.value, case_id=case_id, detail_part=once):
                return
        audit.append_record(
            self._engine,
            self._sealer,
            lambda: dt.datetime.now(dt.UTC),
            **ENGINE_WHO,
            action=action.value,
            case_id=case_id,
            detail=f"{once}; {rows} read-model row(s) repaired",
        )

    @activity.defn(name="project_council")
    def project_council(self, inp: CouncilProjectionInput) -> ProjectionResult:
        """Write the council's row (no member names). Idempotent by version: an older or
        equal version than the one written changes nothing."""
        return self._write(lambda s, now: repository.project_council(s, inp=inp, now=now))

    @activity.defn(name="project_session")
    def project_session(self, inp: SessionProjectionInput) -> ProjectionResult:
        """Write the session's row and its agenda rows (no personal names), and once its
        minutes are published their public passages to the precedents index. Idempotent by
        version: an older or equal version than the one written changes nothing."""
        return self._write(lambda s, now: project_session(s, inp, now))

    def _write(self, write: Callable[[Session, dt.datetime], bool]) -> ProjectionResult:
        for _ in range(2):
            try:
                return self._write_once(write)
            except IntegrityError:
                continue  # another attempt inserted the row between our read and our insert
        return self._write_once(write)

    def _write_once(self, write: Callable[[Session, dt.datetime], bool]) -> ProjectionResult:
        with Session(self._engine) as session:
            written = write(session, dt.datetime.now(dt.UTC))
            session.commit()
        return ProjectionResult(written=written)


def project_session(session: Session, inp: SessionProjectionInput, now: dt.datetime) -> bool:
    """The session's rows, and its public minutes' passages once they are published."""
    written = repository.project_session(session, inp=inp, now=now)
    if written and inp.record.minutes is MinutesState.published:
        for entry in minutes_entries(inp.record):
            precedents.write_entry(session, entry)
    return written
