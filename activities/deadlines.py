"""Keeps the deadlines read model current: a case's rows replaced whole, in one transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity

from models.projection import ProjectDeadlinesInput, ProjectDeadlinesResult
from persistence import repository


class DeadlineActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="project_deadlines")
    def project_deadlines(self, inp: ProjectDeadlinesInput) -> ProjectDeadlinesResult:
        """Replace the case's deadline rows with ``inp.rows``. Idempotent: the same input
        leaves the same rows, whatever ran before."""
        with Session(self._engine) as session:
            removed = repository.replace_deadlines(session, inp=inp, now=dt.datetime.now(dt.UTC))
            session.commit()
        return ProjectDeadlinesResult(written=len(inp.rows), removed=removed)
