"""One council session as its SessionWorkflow holds it: agenda, attendance, Q&A, decisions,
answers and minutes; the inputs of the secretariat's and chair's acts; and the pure checks
their validators run."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, Field, model_validator

from models.case import Actor
from models.council import Council, SessionPlan
from models.document import Category, Strict
from models.errors import GuardFailed, InvalidPayload, InvalidTransition, RoleNotAllowed
from models.jcalendar import ClosureTable
from models.payloads import Condition, Note, SessionRef, Votes
from models.states import Role


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
    speaker_role: str = Field(min_length=1)  # 委員 / 会長 / 担当課 / 事務局 / 参考人
    speaker: str | None = None
    question: str = Field(min_length=1)
    answer: str | None = None


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


class Redaction(Strict):
    passage: str = Field(min_length=1)  # the text left out of the public minutes
    legal_basis: str = Field(min_length=1)  # e.g. 情報公開条例第6条第7号


class Attendance(Strict):
    present: list[str] = Field(min_length=0)  # member ids
    staff: list[str] = Field(default_factory=list)  # 事務局職員
    explainers: list[str] = Field(default_factory=list)  # 説明者・参考人
    observers: int = Field(default=0, ge=0)  # 傍聴者数


class SessionWarning(Strict):
    code: str
    message: str


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


# -- what people send -------------------------------------------------------------------


class SessionAct(Strict):
    actor: Actor
    on: dt.date | None = None


class AddItems(SessionAct):
    case_ids: list[str] = Field(min_length=1)


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
    reason: str = Field(min_length=1)


class ItemAct(SessionAct):
    case_id: str


class RecordQA(ItemAct):
    qa: QA


class DecideItem(ItemAct):
    outcome: ItemOutcome
    votes: Votes | None = None
    conditions: list[Condition] = Field(default_factory=list)
    opinions: list[Note] = Field(default_factory=list)
    action_items: list[Note] = Field(default_factory=list)
    summary: str | None = None
    reason: str | None = None  # for continue / convert
    next_session: SessionRef | None = None  # for continue

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if self.outcome is ItemOutcome.continue_ and (self.next_session is None or not self.reason):
            raise ValueError("continue needs next_session and reason")
        if self.outcome is ItemOutcome.convert and not self.reason:
            raise ValueError("convert needs a reason")
        return self


class IssueAnswer(ItemAct):
    conclusion: str = Field(min_length=1)
    explanation_summary: str | None = None
    reasons: str | None = None
    approved_by: str = Field(default="session", pattern=r"^(session|chair)$")


class Redact(SessionAct):
    redaction: Redaction


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


# -- pure checks --------------------------------------------------------------------------

_SECRETARIAT = (Role.secretariat,)
_CHAIR = (Role.chair,)
_COUNCIL = (Role.council, Role.chair)


def need_role(actor: Actor, roles: tuple[Role, ...], what: str) -> None:
    if actor.role not in roles:
        raise RoleNotAllowed(f"{what} is done by {' or '.join(roles)}, not {actor.role}")


def need_state(record: SessionRecord, states: tuple[SessionState, ...], what: str) -> None:
    if record.state not in states:
        raise InvalidTransition(
            f"{what} is not allowed while the session is {record.state} "
            f"(needs {' or '.join(states)})"
        )


def need_item(record: SessionRecord, case_id: str, statuses: tuple[ItemStatus, ...]) -> AgendaItem:
    item = record.item(case_id)
    if item is None:
        raise InvalidPayload(f"case_id: case {case_id} is not on this session's agenda")
    if item.status not in statuses:
        raise InvalidTransition(
            f"item {case_id} is {item.status}; this needs {' or '.join(statuses)}"
        )
    return item


def check_attendance(record: SessionRecord, attendance: Attendance) -> None:
    unknown = [m for m in attendance.present if record.council.member(m) is None]
    if unknown:
        raise InvalidPayload(f"attendance.present: not members of this council: {unknown}")
    if len(set(attendance.present)) != len(attendance.present):
        raise InvalidPayload("attendance.present: a member is listed twice")
    out_of_term = [
        m
        for m in attendance.present
        if not record.council.member(m).serves_on(record.plan.held_on)  # type: ignore[union-attr]
    ]
    if out_of_term:
        raise InvalidPayload(
            f"attendance.present: not serving on {record.plan.held_on}: {out_of_term}"
        )


def present_voters(record: SessionRecord) -> int:
    assert record.attendance is not None
    return len(record.attendance.present)


def check_votes(record: SessionRecord, decide: DecideItem) -> None:
    present = present_voters(record)
    if decide.outcome in (ItemOutcome.continue_, ItemOutcome.noted, ItemOutcome.convert):
        if decide.votes is None:
            return
    elif decide.votes is None:
        raise InvalidPayload("votes: required for approve / approve_with_conditions / reject")
    assert decide.votes is not None
    cast = decide.votes.yes + decide.votes.no + decide.votes.abstain
    if cast > present:
        raise GuardFailed(f"votes cast ({cast}) exceed members present ({present})")
    if decide.outcome is ItemOutcome.approve_with_conditions and not decide.conditions:
        raise GuardFailed("approve_with_conditions needs at least one condition")
