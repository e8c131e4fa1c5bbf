"""One council session as its SessionWorkflow holds it: agenda, attendance, Q&A, decisions,
answers and minutes; the inputs of the secretariat's and chair's acts; and the pure checks
their validators run."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, Field, model_validator

from models.calendar.clock import ClockEpoch
from models.calendar.jcalendar import ClosureTable
from models.case.document import CaseRef, Category, Strict
from models.case.payloads import MAX_CONDITIONS, Condition, Note, SessionRef, Votes
from models.case.record import Actor
from models.case.states import Role
from models.limits import MAX_LIST_ITEMS, CalendarDate, Count, LongText, ShortText
from models.session.council import Council, SessionPlan


class SessionState(StrEnum):
    planned = "planned"
    notice_sent = "notice_sent"
    materials_sent = "materials_sent"
    opened = "opened"
    failed_quorum = "failed_quorum"
    closed = "closed"


class MinutesState(StrEnum):
    drafting = "drafting"
    approved = "approved"
    published = "published"


class ItemStatus(StrEnum):
    on_agenda = "on_agenda"
    deliberating = "deliberating"
    decided = "decided"  # answer to draft
    answer_pending = "answer_pending"  # the case took the number; its 答申書 step is parked
    answered = "answered"
    continued = "continued"  # 継続審議: carried to the next session
    noted = "noted"
    converted = "converted"
    carried_over = "carried_over"  # the session failed its quorum


class ItemOutcome(StrEnum):
    approve = "approve"
    approve_with_conditions = "approve_with_conditions"
    reject = "reject"
    continue_ = "continue"
    noted = "noted"
    convert = "convert"


class QA(Strict):
    speaker_role: ShortText  # 委員 / 会長 / 担当課 / 事務局 / 参考人
    speaker: ShortText | None = None
    question: LongText
    answer: LongText | None = None


class AnswerDraft(Strict):
    """答申 drafted from the decision (Fujisawa form: 結論, 説明要旨, 判断理由, 条件, 附帯意見)."""

    number: str
    conclusion: str
    explanation_summary: str | None = None
    reasons: str | None = None
    conditions: list[Condition] = Field(default_factory=list)
    opinions: list[Note] = Field(default_factory=list)
    approved_by: str  # session / chair (会長一任)
    issued_on: dt.date


class CaseStepParked(Strict):
    """A case step that parked while the session acted on the case: the case accepted the
    trigger (its state moved) but a step after it failed. An admin retries it on the case
    (``admin retry``); the session then completes the item (``issue_answer`` again)."""

    case_id: str
    trigger: str  # the case trigger the session fired, e.g. issue_answer
    error: str
    since: dt.datetime


class AgendaItem(BaseModel):
    case_id: str
    title: str
    category: Category
    status: ItemStatus = ItemStatus.on_agenda
    carried_from: str | None = None
    qa: list[QA] = Field(default_factory=list)
    outcome: ItemOutcome | None = None
    votes: Votes | None = None
    conditions: list[Condition] = Field(default_factory=list)
    opinions: list[Note] = Field(default_factory=list)
    action_items: list[Note] = Field(default_factory=list)
    summary: str | None = None
    next_session: str | None = None
    answer: AnswerDraft | None = None
    parked: CaseStepParked | None = None


class Redaction(Strict):
    passage: LongText  # the text left out of the public minutes
    legal_basis: ShortText  # e.g. 情報公開条例第6条第7号


class Attendance(Strict):
    present: list[ShortText] = Field(max_length=MAX_LIST_ITEMS)  # member ids
    staff: list[ShortText] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)  # 事務局職員
    explainers: list[ShortText] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    observers: Count = 0  # 傍聴者数


class SessionWarning(Strict):
    code: str
    message: str


class DocumentFailure(Strict):
    """A document the session could not generate (e.g. a broken template): shown in the
    snapshot until `retry_documents` succeeds."""

    doc_type: str
    error: str
    at: dt.datetime


class SessionClock(Strict):
    """The session's business date ("today"). Without a clock it is the JST date. A clock
    says which business date it was at an instant (``epoch``); days then run at
    ``day_seconds`` (a real day by default). Tests pin a session to its day with it, so no
    test waits for midnight; municipalities never set it."""

    epoch: ClockEpoch
    day_seconds: float = Field(default=86_400.0, gt=0)


class ActLine(Strict):
    """One accepted act in the session's log: the ``version`` it made, the session's state
    after it and its business date. The admin's reset of a session shows these."""

    version: int
    act: str
    state: SessionState
    on: dt.date | None = None


class SessionReset(Strict):
    """A reset of the session's workflow as the session met it (workflows/resets.py): it
    went back to just after act ``version``. Who and why: the audit trail."""

    version: int
    state: SessionState
    at: dt.datetime  # when the reset run took over (the reset's key)
    rows_repaired: int | None = None  # None until its read-model row is rewritten


class SessionRecord(BaseModel):
    plan: SessionPlan
    council: Council
    state: SessionState = SessionState.planned
    items: list[AgendaItem] = Field(default_factory=list)
    attendance: Attendance | None = None
    notice_sent_on: dt.date | None = None
    materials_sent_on: dt.date | None = None
    closed_on: dt.date | None = None
    minutes: MinutesState | None = None
    minutes_due: dt.date | None = None
    redactions: list[Redaction] = Field(default_factory=list)
    reminders: list[str] = Field(default_factory=list)
    warnings: list[SessionWarning] = Field(default_factory=list)
    document_failures: list[DocumentFailure] = Field(default_factory=list)
    clock: SessionClock | None = None
    version: int = 0  # accepted acts so far (the read model keeps the highest)
    acts: list[ActLine] = Field(default_factory=list)  # sessions before it: later acts only
    resets: list[SessionReset] = Field(default_factory=list)

    def item(self, case_id: str) -> AgendaItem | None:
        return next((i for i in self.items if i.case_id == case_id), None)

    @property
    def ref(self) -> SessionRef:
        label = f"{self.plan.fiscal_year}年度第{self.plan.ordinal}回"
        return SessionRef(
            session_id=self.plan.session_id,
            council=self.council.name,
            held_on=self.plan.held_on,
            label=label,
        )


class SessionInput(Strict):
    plan: SessionPlan
    council: Council
    closures: ClosureTable
    record: SessionRecord | None = None
    clock: SessionClock | None = None  # tests only: see SessionClock


# -- what people send -------------------------------------------------------------------


class SessionAct(Strict):
    actor: Actor
    on: CalendarDate | None = None


class AddItems(SessionAct):
    """Cases to put on the agenda: the ones named, or every case waiting in `ready`."""

    case_ids: list[CaseRef] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    all_ready: bool = False

    @model_validator(mode="after")
    def _which(self) -> Self:
        if bool(self.case_ids) == self.all_ready:
            raise ValueError("give case_ids or all_ready: true (not both)")
        return self


class CarryIn(Strict):
    """Sent by another session's workflow: these cases continue here."""

    case_id: str
    title: str
    category: Category
    from_session: str


class OpenSession(SessionAct):
    attendance: Attendance


class CarryOver(SessionAct):
    next_session: SessionRef
    reason: LongText


class ItemAct(SessionAct):
    case_id: str


class RemoveItem(ItemAct):
    """Take a case off the agenda before the materials go out; it waits in ready again."""

    reason: LongText


class RecordQA(ItemAct):
    qa: QA


class DecideItem(ItemAct):
    outcome: ItemOutcome
    votes: Votes | None = None
    conditions: list[Condition] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    opinions: list[Note] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    action_items: list[Note] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    summary: LongText | None = None
    reason: LongText | None = None  # for continue / convert
    next_session: SessionRef | None = None  # for continue

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if self.outcome is ItemOutcome.continue_ and (self.next_session is None or not self.reason):
            raise ValueError("continue needs next_session and reason")
        if self.outcome is ItemOutcome.convert and not self.reason:
            raise ValueError("convert needs a reason")
        return self


class IssueAnswer(ItemAct):
    conclusion: LongText
    explanation_summary: LongText | None = None
    reasons: LongText | None = None
    approved_by: str = Field(default="session", pattern=r"^(session|chair)$")


class Redact(SessionAct):
    redaction: Redaction


class ReplaceClosures(SessionAct):
    """A new calendar table (e.g. a closure the municipality added): due dates are re-planned."""

    closures: ClosureTable


class SessionAck(Strict):
    session_id: str
    state: SessionState
    warnings: int  # how many warnings the session now carries


class SessionAllowedAction(Strict):
    """An act the session allows now (from THE table, models/session/lifecycle.py)."""

    act: str
    roles: list[Role]
    dest: list[SessionState]


class CaseInfo(Strict):
    """What a session reads of one of its cases to complete an item after a parked step."""

    case_id: str
    found: bool
    state: str | None = None
    parked: str | None = None  # the parked step and its error, while one is parked
    answer_number: str | None = None


class SessionSnapshot(Strict):
    session_id: str
    council: str
    plan: SessionPlan
    state: SessionState
    items: list[AgendaItem]
    attendance: Attendance | None
    quorum: str
    notice_due: dt.date | None
    materials_due: dt.date | None
    notice_sent_on: dt.date | None
    materials_sent_on: dt.date | None
    minutes: MinutesState | None
    minutes_due: dt.date | None
    redactions: list[Redaction]
    reminders: list[str]
    warnings: list[SessionWarning]
    document_failures: list[DocumentFailure] = Field(default_factory=list)
    today: dt.date | None = None  # the session's business date (see SessionClock)
    allowed: list[SessionAllowedAction] = Field(default_factory=list)
    version: int = 0
