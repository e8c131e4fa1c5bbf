"""The mail outbox: one row per idempotency key, the mail activity's durable checkpoints (see
activities/mail.py for why each state is where it is).

A try holds a row by its ``attempt_id`` while its lease runs (it renews the lease as it
goes). Every change is one compare-and-set ``UPDATE`` in its own committed transaction, so
two tries of one key, on two workers, can never both move a row from ``prepared`` to
``committing``: only the try that did sends the end of the data. On SQLite each of these
commits is synced to disk (``synchronous=FULL``): a checkpoint lost with the power would send
a mail twice, while the rest of the read model can be rebuilt from the workflows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from persistence.tables import OutboxRow


class OutboxState(StrEnum):
    prepared = "prepared"  # not delivered: the server has not got the end of the data
    committing = "committing"  # the end of the data is going out: only its holder settles it
    sent = "sent"
    unknown = "unknown"  # the end of the data went out and no answer came: maybe delivered


class Verdict(StrEnum):
    """What a try may do, as ``claim`` found the row."""

    send = "send"  # this try holds the row now: send
    sent = "sent"  # delivered before: do not send
    in_flight = "in_flight"  # another try holds a live lease: wait for it
    unknown = "unknown"  # maybe delivered: resent only when an admin says so


@dataclass(frozen=True)
class Claim:
    verdict: Verdict
    attempts: int  # tries recorded for this key, this one included when it may send
    lease_until: dt.datetime | None  # the holder's lease, when in flight


_table = OutboxRow.__table__  # type: ignore[attr-defined]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


@contextmanager
def _durable(engine: Engine) -> Iterator[Connection]:
    """A connection whose commits survive a power cut (SQLite: FULL sync for these only)."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA synchronous=FULL")
        try:
            yield conn
        finally:
            if sqlite:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA synchronous=NORMAL")


def _update(conn: Connection, key: str, where: list[Any], values: dict[str, Any]) -> bool:
    """Set ``values`` on the row if it matches ``where``; commit; True when it did."""
    done = (
        conn.execute(update(_table).where(_table.c.key == key, *where).values(**values)).rowcount
        == 1
    )
    conn.commit()
    return bool(done)


def _swap(conn: Connection, key: str, expect: dict[str, Any], values: dict[str, Any]) -> bool:
    """Set ``values`` on the row if its columns still hold ``expect``."""
    where = [
        _table.c[name].is_(None) if want is None else _table.c[name] == want
        for name, want in expect.items()
    ]
    return _update(conn, key, where, values)


def claim(
    engine: Engine,
    *,
    key: str,
    message_id: str,
    recipients: list[str],
    subject: str,
    attempt_id: str,
    now: dt.datetime,
    lease: dt.timedelta,
    resend_unknown: bool = False,
) -> Claim:
    """Decide what this try may do, and take the row when it may send: a new key, a
    ``prepared`` row whose lease ran out, or (``resend_unknown``) an ``unknown`` one. A
    ``committing`` row whose lease ran out becomes ``unknown``: its holder died between the
    end of the data and the answer."""
    with _durable(engine) as conn:
        while True:
            row = conn.execute(select(_table).where(_table.c.key == key)).mappings().first()
            taken: dict[str, Any] = {
                "attempt_id": attempt_id,
                "lease_until": now + lease,
                "updated_at": now,
            }
            if row is None:
                try:
                    conn.execute(
                        _table.insert().values(
                            key=key,
                            message_id=message_id,
                            recipients=",".join(recipients),
                            subject=subject,
                            state=OutboxState.prepared.value,
                            attempts=1,
                            **taken,
                        )
                    )
                    conn.commit()
                    return Claim(Verdict.send, 1, None)
                except IntegrityError:
                    conn.rollback()  # another try inserted it between our read and insert
                    continue
            state, attempts = OutboxState(row["state"]), int(row["attempts"])
            lease_until = _utc(row["lease_until"])
            seen: dict[str, Any] = {
                "state": state.value,
                "attempts": attempts,
                "attempt_id": row["attempt_id"],
            }
            if state is OutboxState.sent:
                return Claim(Verdict.sent, attempts, None)
            if lease_until is not None and lease_until > now and row["attempt_id"] != attempt_id:
                return Claim(Verdict.in_flight, attempts, lease_until)
            values: dict[str, Any]
            if state is OutboxState.committing:
                values = {
                    "state": OutboxState.unknown.value,
                    "lease_until": None,
                    "updated_at": now,
                }
                if _swap(conn, key, seen, values):
                    return Claim(Verdict.unknown, attempts, None)
                continue
            if state is OutboxState.unknown and not resend_unknown:
                return Claim(Verdict.unknown, attempts, None)
            values = {
                "state": OutboxState.prepared.value,
                "attempts": attempts + 1,
                "recipients": ",".join(recipients),
                "subject": subject,
                **taken,
            }
            if _swap(conn, key, seen, values):
                return Claim(Verdict.send, attempts + 1, None)


def renew(
    engine: Engine, *, key: str, attempt_id: str, now: dt.datetime, lease: dt.timedelta
) -> bool:
    """Extend this try's lease; False when the row is no longer this try's to send."""
    live = [OutboxState.prepared.value, OutboxState.committing.value]
    with _durable(engine) as conn:
        return _update(
            conn,
            key,
            [
                _table.c.attempt_id == attempt_id,
                _table.c.state.in_(live),
                _table.c.lease_until > now,
            ],
            {"lease_until": now + lease},
        )


def begin_commit(engine: Engine, *, key: str, attempt_id: str, now: dt.datetime) -> bool:
    """``prepared`` → ``committing`` if this try still holds a live lease; True when it did.
    Only then may the try send the end of the data."""
    with _durable(engine) as conn:
        return _update(
            conn,
            key,
            [
                _table.c.attempt_id == attempt_id,
                _table.c.state == OutboxState.prepared.value,
                _table.c.lease_until > now,
            ],
            {"state": OutboxState.committing.value, "updated_at": now},
        )


def settle(
    engine: Engine, *, key: str, attempt_id: str, state: OutboxState, now: dt.datetime
) -> bool:
    """End this try's hold: the row becomes ``state`` (``sent`` also records when); False when
    another try holds the row now (nothing changes)."""
    values: dict[str, Any] = {"state": state.value, "lease_until": None, "updated_at": now}
    if state is OutboxState.sent:
        values["sent_at"] = now
    with _durable(engine) as conn:
        return _swap(conn, key, {"attempt_id": attempt_id}, values)


def get(engine: Engine, key: str) -> OutboxRow | None:
    with Session(engine) as session:
        return session.get(OutboxRow, key)
