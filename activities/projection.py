"""Keeps the read model current: one idempotent write per case transition, per council
change and per accepted session act."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from temporalio import activity

from models.precedents import minutes_entries
from models.projection import (
    CouncilProjectionInput,
    ProjectionResult,
    ProjectTransitionInput,
    SessionProjectionInput,
)
from models.session.record import MinutesState
from persistence import precedents, repository
from persistence.seal import Sealer


class ProjectionActivities:
    def __init__(self, engine: Engine, sealer: Sealer | None = None) -> None:
        self._engine = engine
        self._sealer = sealer  # the audit key: each transition row gets its MAC

    @activity.defn(name="project_transition")
    def project_transition(self, inp: ProjectTransitionInput) -> None:
        """Write a transition (sealed with its MAC) and the case row it leads to. Idempotent
        by (case id, seq)."""
        with Session(self._engine) as session:
            repository.project_transition(
                session,
                summary=inp.summary,
                transition=inp.transition,
                now=dt.datetime.now(dt.UTC),
                sealer=self._sealer,
            )
            if inp.precedent is not None:
                precedents.write_entry(session, inp.precedent)
            session.commit()

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
