"""Removing records past retention (edge/retention.py): the audit records before a cutoff
(a prefix of the chain: times never go backwards along it) and the archives of cases that
ended before it, with the cases' read-model rows; in one transaction that holds the audit
chain's head, so the anchor, the deletions and the purge's own record land together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, update

from persistence.audit import HEAD, RECORDS, anchor, append_in
from persistence.seal import Sealer
from persistence.tables import CaseArchiveRow, CaseDeadlineRow, CaseRow, TransitionRow

ARCHIVES = CaseArchiveRow.__table__  # type: ignore[attr-defined]
_CASE_TABLES = (
    TransitionRow.__table__,  # type: ignore[attr-defined]
    CaseDeadlineRow.__table__,  # type: ignore[attr-defined]
    CaseRow.__table__,  # type: ignore[attr-defined]
    ARCHIVES,
)


@dataclass(frozen=True)
class PurgePlan:
    """What a purge at ``cutoff`` removes: the records up to ``through`` (whose MAC becomes
    the chain's anchor) and the archives of ``case_ids``."""

    records: int
    through: int
    through_mac: str
    case_ids: list[str]


def plan(conn: Connection, cutoff: dt.datetime) -> PurgePlan:
    first, first_mac = anchor(conn)
    last = conn.execute(
        select(RECORDS.c.seq, RECORDS.c.mac)
        .where(RECORDS.c.at < cutoff)
        .order_by(RECORDS.c.seq.desc())
        .limit(1)
    ).first()
    through, through_mac = (int(last.seq), str(last.mac)) if last else (first, first_mac)
    records = conn.execute(
        select(func.count()).select_from(RECORDS).where(RECORDS.c.seq <= through)
    ).scalar_one()
    ended = select(ARCHIVES.c.case_id).where(ARCHIVES.c.ended_at < cutoff)
    case_ids = sorted(str(c) for c in conn.execute(ended).scalars())
    return PurgePlan(int(records), through, through_mac, case_ids)


def count(engine: Engine, cutoff: dt.datetime) -> PurgePlan:
    """What a purge would remove now; changes nothing."""
    with engine.connect() as conn:
        return plan(conn, cutoff)


def purge(
    engine: Engine,
    sealer: Sealer,
    clock: Callable[[], dt.datetime],
    cutoff: dt.datetime,
    record: Callable[[PurgePlan], dict[str, Any]],
) -> PurgePlan:
    """Move the anchor to the last record before ``cutoff``, delete the records up to it and
    the archived cases that ended before it, and append the purge's own record (its fields
    from ``record``, which names the anchor)."""
    with engine.begin() as conn:
        # the head's lock first, as every writer takes it (edge/audit.py)
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=HEAD.c.seq))
        done = plan(conn, cutoff)
        conn.execute(
            update(HEAD)
            .where(HEAD.c.id == 1)
            .values(anchor_seq=done.through, anchor_mac=done.through_mac)
        )
        conn.execute(delete(RECORDS).where(RECORDS.c.seq <= done.through))
        for table in _CASE_TABLES:
            conn.execute(delete(table).where(table.c.case_id.in_(done.case_ids)))
        append_in(conn, sealer, clock, record(done))
    return done
