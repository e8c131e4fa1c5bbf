"""Keeps the read model current: one idempotent write per case transition."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity

from models.projection import ProjectTransitionInput
from persistence import repository


class ProjectionActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="project_transition")
    def project_transition(self, inp: ProjectTransitionInput) -> None:
        """Write a transition and the case row it leads to. Idempotent by (case id, seq)."""
        with Session(self._engine) as session:
            repository.project_transition(
                session,
                summary=inp.summary,
                transition=inp.transition,
                now=dt.datetime.now(dt.UTC),
            )
            session.commit()
