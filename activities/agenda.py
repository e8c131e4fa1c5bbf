"""What a session needs to know about the cases waiting for it."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity

from persistence import repository


class AgendaActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="ready_cases")
    def ready_cases(self) -> list[str]:
        """The ids of every case in `ready` (付議待ち), oldest first. Reads only."""
        with Session(self._engine) as session:
            rows = repository.list_cases(session, state="ready", limit=1000)
        return [row.case_id for row in sorted(rows, key=lambda r: r.updated_at)]
