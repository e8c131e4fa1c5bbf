"""The case as the workflow holds it, and the inputs and views around it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, field_validator

from models.calendar.clock import ClockEpoch
from models.calendar.jcalendar import ClosureTable
from models.case.document import Category, ConsultationDocument, Strict
from models.case.payloads import (
    CheckItem,
    Condition,
    Note,
    Outcome,
    SessionRef,
    Verification,
    Votes,
)
from models.case.states import CaseState, Role, Trigger
from models.case.triage import Requirement, TriageTable
from models.limits import (
    ACT_PAYLOAD_BYTES,
    CalendarDate,
    LongText,
    ShortText,
    within_budget,
    within_nesting,
)
from models.policy import CasePolicy
from models.tracking.conditions import ConditionStatus, Review, TrackedCondition, TrackedObligation
from models.tracking.notices import DueNotice


class Actor(Strict):
    """Who acts, in which role. The edge fills in the rest from the signed-in account (see
    ``edge.identity``); histories recorded before it did carry only ``role`` and ``name``, so
    the proof fields are optional and ``holds`` None means "not proven"."""

    role: Role
    name: ShortText  # room for the desk's "display name (username)"
    username: str | None = Field(default=None, max_length=40)
    holds: tuple[Role, ...] | None = None  # every role the account may act in
    department: str | None = Field(default=None, max_length=100)
    head: bool = False  # the account heads ``department``


class TransitionRecord(Strict):
    seq: int
    trigger: Trigger | None  # None for the creation record
    source: CaseState | None
    dest: CaseState
    actor: Actor
    at: dt.datetime  # when the engine recorded it
    on: dt.date  # the business date of the act (may be earlier when records are migrated)
    reason: str | None = None


class CaseWarning(Strict):
    code: str  # e.g. ex_post (事後諮問), materials_late
    message: str
    seq: int


class TriageDecision(Strict):
    requirement: Requirement
    legal_basis: str
    reason: str
    rule_effective_from: dt.date


class Decision(Strict):
    outcome: Outcome
    votes: Votes
    conditions: list[Condition] = Field(default_factory=list)
    opinions: list[Note] = Field(default_factory=list)
    action_items: list[Note] = Field(default_factory=list)
    summary: str | None = None
    decided_on: dt.date


class Answer(Strict):
    number: str
    issued_on: dt.date
    approved_by: str
    conclusion: str | None = None
    explanation_summary: str | None = None
    reasons: str | None = None
    signed_by: str | None = None  # the chair on the roster when the answer was issued


class ParkedStep(Strict):
    step: str  # the activity, e.g. project_transition
    seq: int  # the transition whose effect failed
    error: str
    attempts: int
    since: dt.datetime


class AdminAction(Strict):
    action: str  # retry / skip / abort
    step: str
    seq: int
    actor: Actor
    reason: str
    at: dt.datetime


class ResetMark(Strict):
    """A reset of the case's workflow (from the admin console or `temporal workflow reset`),
    as the case itself met it in its history: it went back to just after transition
    ``seq``. No person and no reason: who and why are in the audit trail when an admin did it."""

    seq: int  # the last transition kept
    state: CaseState  # the state it went back to
    at: dt.datetime  # when the reset run took over (the reset's key: stable across replays)
    rows_repaired: int | None = None  # read-model rows the case rewrote after it (None: pending)


class CaseConfig(Strict):
    """Everything the rules need besides the case: fixed at start, carried across runs."""

    policy: CasePolicy = Field(default_factory=CasePolicy)
    triage: TriageTable
    closures: ClosureTable


class CaseRecord(BaseModel):
    """All state of one case: the workflow's only state, carried through continue-as-new."""

    case_id: str
    external_ref: str | None
    document: ConsultationDocument
    category: Category
    state: CaseState
    seq: int = 0
    history: list[TransitionRecord] = Field(default_factory=list)
    warnings: list[CaseWarning] = Field(default_factory=list)
    triage: TriageDecision | None = None
    precheck: list[CheckItem] = Field(default_factory=list)
    return_comments: list[str] = Field(default_factory=list)
    session: SessionRef | None = None
    past_sessions: list[SessionRef] = Field(default_factory=list)
    attendance: tuple[int, int] | None = None  # (present, seats)
    decision: Decision | None = None
    answer: Answer | None = None
    verified: list[Verification] = Field(default_factory=list)
    superseded_by: str | None = None
    parked: ParkedStep | None = None
    admin_log: list[AdminAction] = Field(default_factory=list)
    resets: list[ResetMark] = Field(default_factory=list)  # resets the case met, oldest first
    runs: int = 1  # workflow runs so far (continue-as-new starts a new one)
    conditions: list[TrackedCondition] = Field(default_factory=list)
    obligations: list[TrackedObligation] = Field(default_factory=list)
    active_since: dt.date | None = None  # first day in operation
    next_review_on: dt.date | None = None
    review: Review | None = None  # the open periodic re-review
    reviews: int = 0  # re-reviews opened so far
    clock_epoch: ClockEpoch | None = None  # set when a fast policy clock starts (tests)
    sent_rungs: list[str] = Field(default_factory=list)  # reminder rungs done (or skipped)
    outbox: list[DueNotice] = Field(default_factory=list)  # reminders not yet confirmed sent
    deadlines_shown: list[tuple[str, str, str]] = Field(default_factory=list)  # as projected

    @property
    def last_on(self) -> dt.date:
        return self.history[-1].on

    def overdue_items(self) -> list[str]:
        """What is overdue now, for people: 条件2, obligation ids…"""
        return [c.what for c in self.conditions if c.status is ConditionStatus.overdue] + [
            o.current.what if o.current else o.obligation.id
            for o in self.obligations
            if o.overdue or o.lapsed
        ]

    def obligation(self, obligation_id: str) -> TrackedObligation | None:
        return next((o for o in self.obligations if o.obligation.id == obligation_id), None)


class CaseInput(Strict):
    """Start a case, or continue one (``record`` set) after continue-as-new."""

    case_id: str
    external_ref: ShortText | None = None
    document: ConsultationDocument
    created_by: Actor
    created_on: CalendarDate | None = None
    config: CaseConfig
    record: CaseRecord | None = None
    projected_seq: int = -1


class ActInput(Strict):
    trigger: ShortText
    actor: Actor
    payload: dict[str, Any] = Field(default_factory=dict)
    on: CalendarDate | None = None  # business date of the act; today when omitted

    @field_validator("payload", mode="before")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        """Checked before pydantic walks it: a 100,000-deep payload would exhaust the stack."""
        within_nesting(value, "the payload")
        within_budget(value, ACT_PAYLOAD_BYTES, "the payload")
        return value


class AdminInput(Strict):
    actor: Actor
    reason: LongText


class ChangeCaseInfo(Strict):
    """A change case (変更諮問) as its parent sees it before it is superseded by it."""

    case_id: str
    found: bool
    state: CaseState | None = None
    answered: bool = False  # its answer is issued and it approved the change
    parent_case: str | None = None


class AllowedAction(Strict):
    trigger: Trigger
    roles: list[Role]
    dest: list[CaseState]


class CaseSnapshot(Strict):
    case_id: str
    external_ref: str | None
    state: CaseState
    label: str
    category: Category
    document: ConsultationDocument
    fiscal_year: int
    next_deadline: dt.date | None
    next_deadline_what: str | None
    allowed: list[AllowedAction]
    history: list[TransitionRecord]
    warnings: list[CaseWarning]
    triage: TriageDecision | None
    session: SessionRef | None
    decision: Decision | None
    answer: Answer | None
    parked: ParkedStep | None
    admin_log: list[AdminAction]
    projected_seq: int
    run_count: int
    conditions: list[TrackedCondition] = Field(default_factory=list)
    obligations: list[TrackedObligation] = Field(default_factory=list)
    review: Review | None = None
    next_review_on: dt.date | None = None
    business_today: dt.date | None = None  # the case's date (a fast test clock runs ahead)
    reminders_sent: int = 0  # rungs done, in this run
    reminders_queued: int = 0  # reminders not yet confirmed by the mail server
    verified: list[Verification] = Field(default_factory=list)
    archived_at: dt.datetime | None = None  # set when read from the archive (the case ended)
    resets: list[ResetMark] = Field(default_factory=list)


class ActResult(Strict):
    """What an accepted act answers: small, because every answer is kept in the history."""

    case_id: str
    state: CaseState
    label: str
    seq: int
    warnings: list[CaseWarning]
    parked: ParkedStep | None
    title: str | None = None
    category: Category | None = None


class CaseResult(Strict):
    case_id: str
    state: CaseState
