"""Small keyword-only functions over the read model."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, func, select, update

from models.case.record import TransitionRecord
from models.documents.spec import DocumentInfo
from models.projection import (
    CaseSummary,
    CouncilProjectionInput,
    DeadlineStatus,
    ProjectDeadlinesInput,
    SessionProjectionInput,
)
from persistence.people import PeopleBook
from persistence.seal import Sealer
from persistence.tables import (
    CaseDeadlineRow,
    CaseRow,
    CouncilRow,
    DocumentRow,
    SessionItemRow,
    SessionRow,
    TransitionRow,
)


def project_transition(
    session: Session,
    *,
    summary: CaseSummary,
    transition: TransitionRecord,
    now: dt.datetime,
    sealer: Sealer | None = None,
    people: PeopleBook | None = None,
) -> bool:
    """Write one transition (with its MAC when a sealer is given) and the case row it leads
    to; with ``people`` the row names its actor by ref and the name goes to ``people``.
    Idempotent: a transition already written is skipped, and an older summary never
    overwrites a newer one. Returns whether anything changed."""
    changed = False
    if session.get(TransitionRow, (summary.case_id, transition.seq)) is None:
        row = session.get(CaseRow, summary.case_id)
        if row is None:
            session.add(CaseRow(**summary.model_dump(), updated_at=now))
            session.flush()
        fields: dict[str, Any] = {
            "case_id": summary.case_id,
            "seq": transition.seq,
            "trigger": transition.trigger.value if transition.trigger else None,
            "source": transition.source.value if transition.source else None,
            "dest": transition.dest.value,
            "actor_role": transition.actor.role.value,
            "actor_name": transition.actor.name,
            "actor_ref": None,
            "at": transition.at,
            "on": transition.on,
            "reason": transition.reason,
        }
        if people is not None:
            actor = transition.actor
            fields["actor_ref"] = people.put_actor(session, actor.name, actor.username, now=now)
            fields["actor_name"] = ""
        mac = sealer.transition_mac(**fields) if sealer else None
        session.add(TransitionRow(**fields, mac=mac))
        changed = True
    row = session.get(CaseRow, summary.case_id)
    assert row is not None
    if summary.seq > row.seq:
        for key, value in summary.model_dump().items():
            setattr(row, key, value)
        row.updated_at = now
        session.add(row)
        changed = True
    return changed


def list_cases(
    session: Session,
    *,
    state: str | None = None,
    department: str | None = None,
    kind: str | None = None,
    fiscal_year: int | None = None,
    limit: int = 500,
) -> list[CaseRow]:
    query = select(CaseRow)
    if state is not None:
        query = query.where(CaseRow.state == state)
    if department is not None:
        query = query.where(CaseRow.department == department)
    if kind is not None:
        query = query.where(CaseRow.kind == kind)
    if fiscal_year is not None:
        query = query.where(CaseRow.fiscal_year == fiscal_year)
    query = query.order_by(col(CaseRow.fiscal_year).desc(), col(CaseRow.updated_at).desc())
    return list(session.exec(query.limit(limit)))


CASE_SORTS = {
    "deadline": (col(CaseRow.next_deadline).is_(None), col(CaseRow.next_deadline).asc()),
    "updated": (col(CaseRow.updated_at).desc(),),
    "title": (col(CaseRow.title).asc(),),
    "state": (col(CaseRow.state).asc(), col(CaseRow.next_deadline).asc()),
}


def page_cases(
    session: Session,
    *,
    department: str | None = None,
    state: str | None = None,
    kind: str | None = None,
    fiscal_year: int | None = None,
    sort: str = "deadline",
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[CaseRow], int]:
    """One page of cases (a department's, or all; of one state, kind, fiscal year) and how
    many there are in all; ``sort`` is a key of ``CASE_SORTS`` (ties by case id, so pages never
    overlap)."""
    query = select(CaseRow)
    if department is not None:
        query = query.where(CaseRow.department == department)
    if state is not None:
        query = query.where(CaseRow.state == state)
    if kind is not None:
        query = query.where(CaseRow.kind == kind)
    if fiscal_year is not None:
        query = query.where(CaseRow.fiscal_year == fiscal_year)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    order = (*CASE_SORTS.get(sort, CASE_SORTS["deadline"]), col(CaseRow.case_id).asc())
    rows = list(session.exec(query.order_by(*order).offset(offset).limit(limit)))
    return rows, int(total)


def replace_deadlines(session: Session, *, inp: ProjectDeadlinesInput, now: dt.datetime) -> int:
    """Replace every deadline row of the case with ``inp.rows`` (in the caller's transaction).
    Idempotent: the same input leaves the same rows. Returns how many rows were removed."""
    removed = session.exec(
        delete(CaseDeadlineRow).where(col(CaseDeadlineRow.case_id) == inp.case_id)
    ).rowcount
    session.add_all(
        CaseDeadlineRow(
            case_id=inp.case_id,
            key=row.key,
            department=inp.department,
            case_number=inp.case_number,
            title=inp.title,
            what=row.what,
            due_on=row.due_on,
            window_from=row.window_from,
            status=row.status.value,
            updated_at=now,
        )
        for row in inp.rows
    )
    return int(removed or 0)


def upcoming_deadlines(
    engine: Engine, department: str | None, from_date: dt.date, *, limit: int = 1000
) -> list[CaseDeadlineRow]:
    """A department's (``None``: every department's) open deadlines due on or after
    ``from_date``, soonest first."""
    query = select(CaseDeadlineRow)
    if department is not None:
        query = query.where(CaseDeadlineRow.department == department)
    query = (
        query.where(CaseDeadlineRow.status == DeadlineStatus.open.value)
        .where(col(CaseDeadlineRow.due_on) >= from_date)
        .order_by(
            col(CaseDeadlineRow.due_on), col(CaseDeadlineRow.case_number), col(CaseDeadlineRow.key)
        )
        .limit(limit)
    )
    with Session(engine) as session:
        return list(session.exec(query))


def record_document(session: Session, *, info: DocumentInfo) -> DocumentRow:
    """Write the row of a generated file. Idempotent: the same subject + type + format + data
    version is the same row (a regeneration updates its hash, path, size and time)."""
    row = session.get(DocumentRow, info.id)
    values = info.model_dump(mode="python")
    values["subject"] = info.subject.value
    values["doc_type"] = info.doc_type.value
    values["format"] = info.format.value
    if row is None:
        row = DocumentRow(**values)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    session.add(row)
    return row


def list_documents(
    session: Session, *, subject_id: str | None = None, doc_type: str | None = None
) -> list[DocumentRow]:
    query = select(DocumentRow)
    if subject_id is not None:
        query = query.where(DocumentRow.subject_id == subject_id)
    if doc_type is not None:
        query = query.where(DocumentRow.doc_type == doc_type)
    query = query.order_by(
        col(DocumentRow.subject_id), col(DocumentRow.doc_type), col(DocumentRow.generated_at)
    )
    return list(session.exec(query))


def project_council(session: Session, *, inp: CouncilProjectionInput, now: dt.datetime) -> bool:
    """Write the council's row (in the caller's transaction). Idempotent: a version already
    written, or older than the one there, changes nothing. Returns whether it wrote."""
    council = inp.council
    row = CouncilRow(
        council_id=council.council_id,
        name=council.name,
        seats=council.seats,
        quorum=council.quorum.value,
        member_count=len(council.members),
        sessions_planned=inp.sessions_planned,
        version=inp.version,
        updated_at=now,
    )
    return _write_newer(session, row, key="council_id")


def project_session(session: Session, *, inp: SessionProjectionInput, now: dt.datetime) -> bool:
    """Write the session's row and replace its agenda rows (in the caller's transaction).
    Idempotent: a version already written, or older than the one there, changes nothing.
    Returns whether it wrote."""
    record, plan = inp.record, inp.record.plan
    row = SessionRow(
        session_id=plan.session_id,
        council_id=plan.council_id,
        fiscal_year=plan.fiscal_year,
        ordinal=plan.ordinal,
        held_on=plan.held_on,
        starts_at=plan.starts_at,
        state=record.state.value,
        minutes=record.minutes.value if record.minutes else None,
        minutes_due=record.minutes_due,
        item_count=len(record.items),
        warning_count=len(record.warnings),
        version=inp.version,
        updated_at=now,
    )
    if not _write_newer(session, row, key="session_id"):
        return False
    session.exec(delete(SessionItemRow).where(col(SessionItemRow.session_id) == plan.session_id))
    session.add_all(
        SessionItemRow(
            session_id=plan.session_id,
            case_id=item.case_id,
            position=position,
            status=item.status.value,
            outcome=item.outcome.value if item.outcome else None,
            answer_number=item.answer.number if item.answer else None,
        )
        for position, item in enumerate(record.items, start=1)
    )
    return True


def _write_newer(session: Session, row: CouncilRow | SessionRow, *, key: str) -> bool:
    """Update the row where the stored version is older, in one statement (which takes the
    row's write lock, so the check and the write cannot be split by another writer); insert
    it when there is none. A concurrent first insert raises IntegrityError: the caller
    retries, and then finds the row."""
    table = type(row)
    key_value = getattr(row, key)
    newer = (
        update(table)
        .where(col(getattr(table, key)) == key_value)
        .where(col(table.version) < row.version)
        .values(**row.model_dump(exclude={key}))
    )
    if session.exec(newer).rowcount == 1:
        return True
    if session.get(table, key_value) is not None:
        return False  # this version or a newer one is there
    session.add(row)
    session.flush()
    return True


def list_councils(engine: Engine) -> list[CouncilRow]:
    """Every council, by id."""
    with Session(engine) as session:
        return list(session.exec(select(CouncilRow).order_by(col(CouncilRow.council_id))))


def list_sessions(
    engine: Engine,
    *,
    council_id: str | None = None,
    state: str | None = None,
    fiscal_year: int | None = None,
) -> list[SessionRow]:
    """Sessions, soonest first, narrowed by council, state and fiscal year."""
    query = select(SessionRow)
    if council_id is not None:
        query = query.where(SessionRow.council_id == council_id)
    if state is not None:
        query = query.where(SessionRow.state == state)
    if fiscal_year is not None:
        query = query.where(SessionRow.fiscal_year == fiscal_year)
    query = query.order_by(col(SessionRow.starts_at), col(SessionRow.session_id))
    with Session(engine) as session:
        return list(session.exec(query))


def list_session_items(
    engine: Engine, *, session_id: str | None = None, case_id: str | None = None
) -> list[SessionItemRow]:
    """Agenda rows of a session (in agenda order) or every session a case was on."""
    query = select(SessionItemRow)
    if session_id is not None:
        query = query.where(SessionItemRow.session_id == session_id)
    if case_id is not None:
        query = query.where(SessionItemRow.case_id == case_id)
    query = query.order_by(col(SessionItemRow.session_id), col(SessionItemRow.position))
    with Session(engine) as session:
        return list(session.exec(query))


def count_cases_by_state(session: Session) -> dict[str, int]:
    """How many cases are in each state (states with none are left out)."""
    query = select(CaseRow.state, func.count()).group_by(col(CaseRow.state))
    return {state: int(n) for state, n in session.exec(query)}


def overdue_cases(session: Session, *, today: dt.date, limit: int = 500) -> list[CaseRow]:
    """Every department's cases whose next deadline has passed, the longest overdue first."""
    query = (
        select(CaseRow)
        .where(col(CaseRow.next_deadline) < today)
        .order_by(col(CaseRow.next_deadline), col(CaseRow.case_id))
    )
    return list(session.exec(query.limit(limit)))


def overdue_minutes(session: Session, *, today: dt.date) -> list[SessionRow]:
    """Closed sessions whose minutes are not published by their due date."""
    query = (
        select(SessionRow)
        .where(col(SessionRow.minutes_due) < today)
        .where(col(SessionRow.minutes) != "published")
        .order_by(col(SessionRow.minutes_due))
    )
    return list(session.exec(query))
