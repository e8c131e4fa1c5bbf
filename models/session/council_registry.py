"""Inputs and views of the CouncilWorkflow (the register of a council and its sessions)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from models.calendar.jcalendar import ClosureTable
from models.case.document import Strict
from models.case.record import Actor
from models.session.council import Council, SessionPlan
from models.session.record import SessionClock


class CouncilInput(Strict):
    council: Council
    closures: ClosureTable
    sessions: list[SessionPlan] = Field(default_factory=list)
    counters: dict[str, int] = Field(default_factory=dict)
    numbers: dict[str, str] = Field(default_factory=dict)


class PlanSession(Strict):
    actor: Actor
    plan: SessionPlan
    clock: SessionClock | None = None  # tests only: the session's own business date


class CouncilSnapshot(Strict):
    council: Council
    sessions: list[SessionPlan]
    numbers: dict[str, str]
    as_of: dt.datetime
