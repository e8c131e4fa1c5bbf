"""Reminders to the secretariat, recorded in the read model where `session show` and the
dashboard list them. Mail delivery is the reminder ladder's job (a later capability)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity

from models.projection import ReminderInput
from persistence.tables import ReminderRow


class ReminderActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="remind_secretariat")
    def remind_secretariat(self, inp: ReminderInput) -> None:
        """Record that the secretariat is late with something. Idempotent by (session, what)."""
        with Session(self._engine) as session:
            if session.get(ReminderRow, (inp.session_id, inp.what)) is None:
                session.add(
                    ReminderRow(
                        session_id=inp.session_id,
                        what=inp.what,
                        due=inp.due,
                        sent_at=dt.datetime.now(dt.UTC),
                    )
                )
                session.commit()
