"""The audit tables: append a record under the chain head's lock, and read records,
transition rows and document rows back in the order `audit verify` checks them.

Appending starts with ``UPDATE audit_head SET seq = seq + 1 … RETURNING``: the first
statement of the transaction takes the write lock (SQLite: the database's, with the busy
timeout; PostgreSQL: the head row's, and a waiting writer re-reads the committed head), so
concurrent writers line up and each sees the MAC its predecessor wrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, update

from persistence.seal import Sealer
from persistence.tables import AuditHeadRow, AuditRecordRow, CaseRow, DocumentRow, TransitionRow

RECORDS = AuditRecordRow.__table__  # type: ignore[attr-defined]
HEAD = AuditHeadRow.__table__  # type: ignore[attr-defined]
TRANSITIONS = TransitionRow.__table__  # type: ignore[attr-defined]
CASES = CaseRow.__table__  # type: ignore[attr-defined]
DOCUMENTS = DocumentRow.__table__  # type: ignore[attr-defined]
BATCH = 10_000


def append_record(
    engine: Engine,
    sealer: Sealer,
    clock: Callable[[], dt.datetime],
    *,
    actor: str,
    role: str,
    action: str,
    case_id: str | None,
    detail: str,
    source: str,
) -> int:
    """Append one record at the chain's head; its seq. The time is read under the lock, so
    times never go backwards along the chain."""
    fields: dict[str, Any] = {
        "actor": actor,
        "role": role,
        "action": action,
        "case_id": case_id,
        "detail": detail,
        "source": source,
    }
    with engine.begin() as conn:
        return append_in(conn, sealer, clock, fields)


def append_in(
    conn: Connection,
    sealer: Sealer,
    clock: Callable[[], dt.datetime],
    fields: dict[str, Any],
) -> int:
    """``append_record`` in the caller's transaction (which then holds the head's lock)."""
    seq, prev_mac = conn.execute(
        update(HEAD).where(HEAD.c.id == 1).values(seq=HEAD.c.seq + 1)
        .returning(HEAD.c.seq, HEAD.c.mac)
    ).one()  # fmt: skip
    fields = {"at": clock(), **fields}
    mac = sealer.record_mac(prev_mac, **fields)
    conn.execute(insert(RECORDS).values(seq=seq, prev_mac=prev_mac, mac=mac, **fields))
    conn.execute(update(HEAD).where(HEAD.c.id == 1).values(mac=mac))
    return int(seq)


def has_record(conn: Connection, *, action: str, case_id: str | None, detail_part: str) -> bool:
    """Whether a record of ``action`` (on the case, when one is named) whose detail holds
    ``detail_part`` exists (a retried activity appends its record once)."""
    c = RECORDS.c
    query = select(c.seq).where(c.action == action, c.detail.contains(detail_part))
    if case_id is not None:
        query = query.where(c.case_id == case_id)
    return conn.execute(query.limit(1)).first() is not None


def head(conn: Connection) -> tuple[int, str]:
    seq, mac = conn.execute(select(HEAD.c.seq, HEAD.c.mac).where(HEAD.c.id == 1)).one()
    return int(seq), str(mac)


def anchor(conn: Connection) -> tuple[int, str]:
    """The last purged record's seq and MAC (0 and GENESIS before any purge)."""
    seq, mac = conn.execute(
        select(HEAD.c.anchor_seq, HEAD.c.anchor_mac).where(HEAD.c.id == 1)
    ).one()
    return int(seq), str(mac)


def iter_records(
    conn: Connection, *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> Iterator[Any]:
    """Every record (or those at ``since`` ≤ at < ``until``) in chain order, streamed: seq,
    at, actor, role, action, case_id, detail, source, prev_mac, mac."""
    c = RECORDS.c
    query = select(
        c.seq, c.at, c.actor, c.role, c.action, c.case_id, c.detail, c.source, c.prev_mac, c.mac
    ).order_by(c.seq)
    if since is not None:
        query = query.where(RECORDS.c.at >= since)
    if until is not None:
        query = query.where(RECORDS.c.at < until)
    yield from conn.execution_options(yield_per=BATCH).execute(query)


def record_macs(conn: Connection) -> dict[str, int]:
    """MAC → seq of every record: only read when a link is broken, to tell a reordering (the
    record's predecessor is elsewhere) from a deletion (it is nowhere)."""
    rows = conn.execution_options(yield_per=BATCH).execute(select(RECORDS.c.mac, RECORDS.c.seq))
    return {str(mac): int(seq) for mac, seq in rows}


def iter_transitions(conn: Connection) -> Iterator[Row[Any]]:
    query = select(TRANSITIONS).order_by(TRANSITIONS.c.case_id, TRANSITIONS.c.seq)
    yield from conn.execution_options(yield_per=BATCH).execute(query)


def seal_unsigned_transitions(engine: Engine, sealer: Sealer) -> int:
    """Give every transition row without a MAC its MAC (rows written before the audit
    trail); how many."""
    sealed = 0
    with engine.begin() as conn:
        rows = conn.execute(select(TRANSITIONS).where(TRANSITIONS.c.mac.is_(None))).all()
        for row in rows:
            mac = transition_row_mac(sealer, row)
            conn.execute(
                update(TRANSITIONS)
                .where(TRANSITIONS.c.case_id == row.case_id, TRANSITIONS.c.seq == row.seq)
                .values(mac=mac)
            )
            sealed += 1
    return sealed


def transition_row_mac(sealer: Sealer, row: Any) -> str:
    """The MAC a stored transition row (ORM or Core) must carry: over its ref (v2) or, for a
    row written before the people table, its plain name (v1)."""
    return sealer.transition_mac(
        case_id=row.case_id, seq=row.seq, trigger=row.trigger, source=row.source,
        dest=row.dest, actor_role=row.actor_role, actor_name=row.actor_name,
        actor_ref=row.actor_ref, at=row.at, on=row.on, reason=row.reason,
    )  # fmt: skip


def case_seqs(conn: Connection) -> dict[str, int]:
    """Each case's newest seq, as its row says (the transition log must reach it)."""
    return {str(c): int(s) for c, s in conn.execute(select(CASES.c.case_id, CASES.c.seq))}


def iter_documents(conn: Connection) -> Iterator[Row[Any]]:
    query = select(DOCUMENTS.c.id, DOCUMENTS.c.path, DOCUMENTS.c.sha256).order_by(DOCUMENTS.c.id)
    yield from conn.execute(query)
