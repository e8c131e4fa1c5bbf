"""Repairs of the read model from the engine's own account (``edge.reconcile``): the one
writer of the read model besides the projection activities, for rows those activities left
missing, stale or orphaned (a projection step skipped by an admin, a deleted workflow, a
workflow reset to an earlier step). Each function works in the caller's transaction."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, delete, select

from models.case.record import TransitionRecord
from models.projection import CaseSummary, SessionProjectionInput
from persistence import repository
from persistence.people import PeopleBook, actor_ref
from persistence.seal import Sealer
from persistence.tables import (
    CaseDeadlineRow,
    CaseRow,
    SessionItemRow,
    SessionRow,
    TransitionRow,
)

TransitionKey = tuple[str | None, str | None, str, str, str, dt.date, str | None]


def transition_key(t: TransitionRecord, people: PeopleBook | None = None) -> TransitionKey:
    """What a transition row must say (its time is left out: SQLite reads it back naive); the
    actor by ref when names live in ``people``."""
    return (
        t.trigger.value if t.trigger else None,
        t.source.value if t.source else None,
        t.dest.value,
        t.actor.role.value,
        actor_ref(people.sealer, t.actor) if people else t.actor.name,
        t.on,
        t.reason,
    )


def row_key(r: TransitionRow) -> TransitionKey:
    actor = r.actor_ref or r.actor_name
    return (r.trigger, r.source, r.dest, r.actor_role, actor, r.on, r.reason)


def case_rows(session: Session) -> dict[str, CaseRow]:
    return {row.case_id: row for row in session.exec(select(CaseRow))}


def transition_rows(session: Session, case_id: str) -> dict[int, TransitionRow]:
    query = select(TransitionRow).where(TransitionRow.case_id == case_id)
    return {row.seq: row for row in session.exec(query)}


def case_differs(
    row: CaseRow | None,
    rows: dict[int, TransitionRow],
    summary: CaseSummary,
    history: list[TransitionRecord],
    people: PeopleBook | None = None,
) -> bool:
    """Whether the case row or its transition log says anything the workflow does not."""
    if row is None:
        return True
    if any(getattr(row, k) != v for k, v in summary.model_dump().items()):
        return True
    wanted = {t.seq: transition_key(t, people) for t in history}
    return {seq: row_key(r) for seq, r in rows.items()} != wanted


def rewrite_case(
    session: Session,
    *,
    summary: CaseSummary,
    history: list[TransitionRecord],
    now: dt.datetime,
    sealer: Sealer | None,
    people: PeopleBook | None = None,
) -> int:
    """Make the case row and its transition log say exactly what the workflow says: the
    row overwritten (even with a lower seq, after a reset), transitions the workflow no
    longer has removed, changed ones replaced, missing ones added. Returns how many rows it
    changed (the case row counts once)."""
    wanted = {t.seq: t for t in history}
    changed = 0
    for seq, old in transition_rows(session, summary.case_id).items():
        if seq not in wanted or row_key(old) != transition_key(wanted[seq], people):
            session.delete(old)
            changed += 1
    session.flush()
    row = session.get(CaseRow, summary.case_id)
    if row is None or any(getattr(row, k) != v for k, v in summary.model_dump().items()):
        changed += 1
    if row is None:
        session.add(CaseRow(**summary.model_dump(), updated_at=now))
    else:
        for key, value in summary.model_dump().items():
            setattr(row, key, value)
        row.updated_at = now
        session.add(row)
    session.flush()
    present = set(transition_rows(session, summary.case_id))
    for t in history:
        if t.seq not in present:
            repository.project_transition(
                session, summary=summary, transition=t, now=now, sealer=sealer, people=people
            )
            changed += 1
    return changed


def delete_case(session: Session, case_id: str) -> None:
    """Remove a case's rows (row, transition log, deadlines, agenda entries)."""
    session.exec(delete(TransitionRow).where(col(TransitionRow.case_id) == case_id))
    session.exec(delete(CaseDeadlineRow).where(col(CaseDeadlineRow.case_id) == case_id))
    session.exec(delete(CaseRow).where(col(CaseRow.case_id) == case_id))


def session_rows(session: Session) -> dict[str, SessionRow]:
    return {row.session_id: row for row in session.exec(select(SessionRow))}


def rewrite_session(session: Session, *, inp: SessionProjectionInput, now: dt.datetime) -> None:
    """The session's row and agenda as its record says, whatever version was there."""
    delete_session(session, inp.record.plan.session_id)
    session.flush()
    repository.project_session(session, inp=inp, now=now)


def delete_session(session: Session, session_id: str) -> None:
    session.exec(delete(SessionItemRow).where(col(SessionItemRow.session_id) == session_id))
    session.exec(delete(SessionRow).where(col(SessionRow.session_id) == session_id))
