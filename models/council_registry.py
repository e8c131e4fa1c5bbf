"""Inputs and views of the CouncilWorkflow (the register of a council and its sessions)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from models.case import Actor
from models.council import Council, SessionPlan
from models.document import Strict
from models.jcalendar import ClosureTable
from models.session import SessionClock


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
