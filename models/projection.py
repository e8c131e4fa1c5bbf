"""What the workflows hand to the read-model projections (cases, deadlines, councils,
sessions) and to the parent-link activity."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from models.case.document import CaseKind, Category, Strict
from models.case.record import ActInput, ResetMark, TransitionRecord
from models.case.states import CaseState
from models.precedents import PrecedentEntry
from models.session.council import Council
from models.session.record import CarryIn, SessionRecord, SessionReset


class CaseSummary(Strict):
    """One row of the case list: no personal data, only what a list needs."""

    case_id: str
    external_ref: str | None
    title: str
    kind: CaseKind
    category: Category
    department: str
    state: CaseState
    fiscal_year: int
    seq: int
    next_deadline: dt.date | None
    next_deadline_what: str | None
    parent_case: str | None


class ProjectTransitionInput(Strict):
    summary: CaseSummary
    transition: TransitionRecord
    precedent: PrecedentEntry | None = None  # the answer's public passages, when it is issued


class CaseResetInput(Strict):
    """A reset the case met: its rows made to say what it holds now (``history``), and the
    reset recorded in the audit trail once (keyed by the case and the reset's time)."""

    summary: CaseSummary
    history: list[TransitionRecord]
    mark: ResetMark


class SupersedeInput(Strict):
    parent_case: str
    change_case: str
    on: dt.date


class SupersedeResult(Strict):
    superseded: bool
    reason: str | None = None


class CaseActRequest(Strict):
    """A session acting on one of its cases; ``request_id`` makes a retry return the first
    answer (it is the update id)."""

    case_id: str
    act: ActInput
    request_id: str


class CaseActOutcome(Strict):
    accepted: bool
    state: CaseState | None = None
    title: str | None = None
    category: Category | None = None
    error_type: str | None = None
    message: str | None = None
    warnings: list[str] = Field(default_factory=list)


class CarryRequest(Strict):
    session_id: str
    item: CarryIn


class NumberRequest(Strict):
    council_id: str
    case_id: str
    fiscal_year: int


class ReminderInput(Strict):
    session_id: str
    what: str  # notice / materials / minutes
    due: dt.date


class SessionInfo(Strict):
    """What a session needs to know about another session before sending it an item."""

    session_id: str
    found: bool
    council_id: str | None = None
    state: str | None = None
    case_ids: list[str] = Field(default_factory=list)  # the cases on its agenda


class DeadlineStatus(StrEnum):
    open = "open"  # still to be met
    met = "met"
    cancelled = "cancelled"


class DeadlineRow(Strict):
    """One deadline of a case. ``key`` is stable across projections (e.g. "materials")."""

    key: str = Field(min_length=1, max_length=100)
    what: str
    due_on: dt.date
    window_from: dt.date | None = None  # the earliest day it may be done, when there is one
    status: DeadlineStatus = DeadlineStatus.open


class ProjectDeadlinesInput(Strict):
    """Every deadline of one case: the projection replaces the case's rows with these."""

    case_id: str
    department: str
    case_number: str
    title: str
    rows: list[DeadlineRow]


class ProjectDeadlinesResult(Strict):
    written: int
    removed: int


class CouncilProjectionInput(Strict):
    """A council as its workflow holds it now. ``version`` grows with every change: the
    projection never lets an older version overwrite a newer one. Only counts of the roster
    reach the read model, never a member's name."""

    council: Council
    sessions_planned: int = Field(ge=0)
    version: int = Field(ge=0)


class SessionResetInput(Strict):
    """A reset the session met: its rows rewritten as ``record`` says, audited once."""

    record: SessionRecord
    mark: SessionReset


class SessionProjectionInput(Strict):
    """A session record after an accepted act. ``version`` grows with every act: the
    projection never lets an older version overwrite a newer one."""

    record: SessionRecord
    version: int


class ProjectionResult(Strict):
    """Whether the write changed the read model (False: this version or a newer one was
    already there)."""

    written: bool
