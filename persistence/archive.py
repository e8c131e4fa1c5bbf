"""The case archive's rows (``case_archives``): write an ended case's sealed record once, read
it back, count and delete those past retention. Sealing and opening are the caller's
(activities/archive.py, edge/archive.py): nothing here holds a key."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, delete, func, select

from persistence.tables import CaseArchiveRow

SEAL_CONTEXT = b"case_archives\x00"


def seal_context(case_id: str) -> bytes:
    """What a sealed record is bound to: its table and case id (moved to another row, it does
    not open)."""
    return SEAL_CONTEXT + case_id.encode()


def write_archive(
    session: Session,
    *,
    case_id: str,
    state: str,
    seq: int,
    ended_at: dt.datetime,
    record: bytes,
    now: dt.datetime,
) -> bool:
    """Insert the case's archive row; a row already there for the same end (state and seq) is
    kept as it is. A case that ended again after a reset replaces it. True when written."""
    row = session.get(CaseArchiveRow, case_id)
    if row is not None and row.state == state and row.seq == seq:
        return False
    if row is None:
        row = CaseArchiveRow(
            case_id=case_id, state=state, seq=seq, ended_at=ended_at, archived_at=now, record=record
        )
    else:
        row.state, row.seq, row.ended_at, row.archived_at, row.record = (
            state, seq, ended_at, now, record
        )  # fmt: skip
    session.add(row)
    return True


def get_archive(session: Session, case_id: str) -> CaseArchiveRow | None:
    return session.get(CaseArchiveRow, case_id)


def archived_ids(session: Session) -> set[str]:
    return set(session.exec(select(CaseArchiveRow.case_id)))


def count_ended_before(session: Session, cutoff: dt.datetime) -> int:
    query = (
        select(func.count())
        .select_from(CaseArchiveRow)
        .where(col(CaseArchiveRow.ended_at) < cutoff)
    )
    return int(session.exec(query).one())


def ids_ended_before(session: Session, cutoff: dt.datetime) -> list[str]:
    query = select(CaseArchiveRow.case_id).where(col(CaseArchiveRow.ended_at) < cutoff)
    return sorted(session.exec(query))


def delete_archive(session: Session, case_id: str) -> None:
    session.exec(delete(CaseArchiveRow).where(col(CaseArchiveRow.case_id) == case_id))
