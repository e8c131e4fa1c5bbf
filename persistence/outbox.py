"""The mail outbox: one row per idempotency key, moved prepared → committing → sent by the
mail activity (see activities/mail.py for why each state is where it is). Each function is
its own committed transaction: the states are the activity's durable checkpoints."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from persistence.tables import OutboxRow


class OutboxState(StrEnum):
    prepared = "prepared"  # about to be sent; the server has not got the end of the data
    committing = "committing"  # the end of the data may have been accepted: never resend
    sent = "sent"


@dataclass(frozen=True)
class Claim:
    """What ``claim`` found: the state before this try (None: first try) and the tries so far."""

    previous: OutboxState | None
    attempts: int

    @property
    def may_send(self) -> bool:
        return self.previous in (None, OutboxState.prepared)


def claim(
    engine: Engine,
    *,
    key: str,
    message_id: str,
    recipients: list[str],
    subject: str,
    now: dt.datetime,
) -> Claim:
    """Record a try: insert the row ``prepared`` or count another try of a prepared one. A row
    found ``committing`` is settled as ``sent`` (at most once); ``sent`` is left as it is."""
    for _ in range(2):
        try:
            return _claim(engine, key, message_id, recipients, subject, now)
        except IntegrityError:
            continue  # another try inserted the row between our read and our insert
    return _claim(engine, key, message_id, recipients, subject, now)


def _claim(
    engine: Engine,
    key: str,
    message_id: str,
    recipients: list[str],
    subject: str,
    now: dt.datetime,
) -> Claim:
    with Session(engine) as session:
        row = session.get(OutboxRow, key, with_for_update=True)
        if row is None:
            row = OutboxRow(
                key=key,
                message_id=message_id,
                recipients=",".join(recipients),
                subject=subject,
                state=OutboxState.prepared.value,
                attempts=1,
                updated_at=now,
            )
            session.add(row)
            session.commit()
            return Claim(previous=None, attempts=1)
        previous = OutboxState(row.state)
        if previous is OutboxState.prepared:
            row.attempts += 1
            row.recipients = ",".join(recipients)
            row.subject = subject
        elif previous is OutboxState.committing:
            row.state = OutboxState.sent.value
            row.sent_at = now
        row.updated_at = now
        attempts = row.attempts
        session.add(row)
        session.commit()
        return Claim(previous=previous, attempts=attempts)


def set_state(engine: Engine, *, key: str, state: OutboxState, now: dt.datetime) -> None:
    """Move the row to ``state`` and commit (``sent`` also records when)."""
    with Session(engine) as session:
        row = session.get(OutboxRow, key, with_for_update=True)
        if row is None:
            raise LookupError(f"outbox row {key!r} is missing")
        row.state = state.value
        row.updated_at = now
        if state is OutboxState.sent:
            row.sent_at = now
        session.add(row)
        session.commit()


def get(engine: Engine, key: str) -> OutboxRow | None:
    with Session(engine) as session:
        return session.get(OutboxRow, key)
