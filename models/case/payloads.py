"""What a person gives with each trigger. One model per trigger; unknown fields are errors."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from models.case.document import CaseRef, Category, ConsultationDocument, Strict
from models.limits import (
    MAX_LIST_ITEMS,
    CalendarDate,
    Count,
    Line,
    LongText,
    ShortText,
    TextOrEmpty,
    paragraphs,
)
from models.tracking.certificates import Certificate, CertificateScheme
from models.tracking.obligations import Obligation


class NoPayload(Strict):
    pass


Note2000 = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(paragraphs)]
MAX_CONDITIONS = 50  # a decision's conditions (附帯条件); councils attach a handful
ConditionNumber = Annotated[int, Field(ge=1, le=MAX_CONDITIONS)]  # 1-based, in the decision


class Reason(Strict):
    reason: LongText


class AmendPayload(Strict):
    document: ConsultationDocument


class RequireConsultationPayload(Strict):
    """事前協議の結果: consult the council (or report to it), with the reason recorded."""

    reason: LongText
    category: Category | None = None  # the secretariat may file a consultation as a report


class ReturnPayload(Strict):
    comments: list[LongText] = Field(min_length=1, max_length=MAX_LIST_ITEMS)


class CheckResult(StrEnum):
    conforming = "conforming"  # 適合
    nonconforming = "nonconforming"  # 不適合
    not_applicable = "not_applicable"  # 該当なし
    to_confirm = "to_confirm"  # 要確認


class CheckItem(Strict):
    check_id: str = Field(pattern=r"^C([1-9]|1[0-9]|2[0-7])$")  # DOMAIN.md §5, C1–C27
    result: CheckResult
    note: TextOrEmpty | None = None  # the guard asks a nonconforming item for a real note


class PassPrecheckPayload(Strict):
    checklist_version: ShortText = "2023.1"
    items: list[CheckItem] = Field(min_length=1, max_length=MAX_LIST_ITEMS)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [i.check_id for i in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError("each check_id may appear once")
        return self


class SessionRef(Strict):
    """The session an item is put on (a SessionWorkflow will own these later)."""

    session_id: CaseRef
    council: ShortText
    held_on: CalendarDate
    label: ShortText | None = None  # e.g. 平成29年度第3回


class SchedulePayload(Strict):
    session: SessionRef


class SendMaterialsPayload(Strict):
    late_reason: LongText | None = None  # required when the materials lead time is not met


class OpenDeliberationPayload(Strict):
    seats: int = Field(ge=1, le=1000)
    present: int = Field(ge=0, le=1000)  # members holding a seat
    half_is_quorum: bool = False  # the council's rule is 半数以上, not 過半数


class Outcome(StrEnum):
    approve = "approve"  # 可 / 承認
    approve_with_conditions = "approve_with_conditions"  # 条件付き承認
    reject = "reject"  # 否 / 不承認


class DueRule(StrEnum):
    before_contract = "before_contract"
    before_start = "before_start"
    by_date = "by_date"
    within_business_days = "within_business_days"  # N business days from the answer (答申)


class ConditionType(StrEnum):
    contract_clause = "contract_clause"
    vendor_written_answer = "vendor_written_answer"
    staff_attendance = "staff_attendance"
    specification_clause = "specification_clause"
    technical_measure = "technical_measure"
    report = "report"


class Condition(Strict):
    text: LongText
    type: ConditionType
    due: DueRule
    due_on: CalendarDate | None = None
    business_days: int | None = Field(default=None, ge=1, le=250)
    owner: ShortText

    @model_validator(mode="after")
    def _date_rule(self) -> Self:
        if (self.due is DueRule.by_date) != (self.due_on is not None):
            raise ValueError("due_on is required exactly when due is by_date")
        if (self.due is DueRule.within_business_days) != (self.business_days is not None):
            raise ValueError("business_days is required exactly when due is within_business_days")
        return self


class Votes(Strict):
    yes: Count
    no: Count = 0
    abstain: Count = 0
    chair_casting: bool | None = None  # the chair's vote on a tie (可否同数)


class Note(Strict):
    text: LongText
    owner: ShortText | None = None


class DecidePayload(Strict):
    outcome: Outcome
    votes: Votes
    conditions: list[Condition] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    opinions: list[Note] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)  # 附帯意見
    action_items: list[Note] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)  # 宿題
    summary: LongText | None = None


class ContinuePayload(Strict):
    reason: LongText
    next_session: SessionRef


class UnschedulePayload(Strict):
    """Why the secretariat took the case off the session's agenda (it waits in ready)."""

    reason: str = Field(min_length=1)


class ApprovedBy(StrEnum):
    session = "session"
    chair = "chair"  # 会長一任


class IssueAnswerPayload(Strict):
    number: ShortText  # e.g. 第870号
    approved_by: ApprovedBy = ApprovedBy.session
    conclusion: LongText | None = None
    explanation_summary: LongText | None = None  # 実施機関の説明要旨 (答申書 section 2)
    reasons: LongText | None = None  # 審議会の判断理由 (答申書 section 3)
    signed_by: ShortText | None = None  # the chair's name on the council roster (署名)


class Verification(Strict):
    condition: ConditionNumber
    evidence: LongText


class ConditionsFulfilledPayload(Strict):
    verified: list[Verification] = Field(min_length=1, max_length=MAX_CONDITIONS)


class ResolvePayload(Strict):
    evidence: LongText


class SupersedePayload(Strict):
    change_case: CaseRef


class ClosePayload(Strict):
    # e.g. data erasure witnessed, certificate no.
    end_duties: list[LongText] = Field(min_length=1, max_length=MAX_LIST_ITEMS)


class EvidencePayload(Strict):
    """The department's evidence that a condition is met (a file reference and a note)."""

    condition: ConditionNumber
    file_ref: Line  # e.g. 契約書第12条 (文書管理番号 …)
    note: Note2000 | None = None


class ConditionVerdict(Strict):
    condition: ConditionNumber
    note: Note2000 | None = None


class ConditionReason(Strict):
    condition: ConditionNumber
    reason: Note2000


class ReviewConfirmation(Strict):
    statement: Note2000  # what was checked: nothing material changed


class AddObligationPayload(Strict):
    obligation: Obligation


class FulfilObligationPayload(Strict):
    """Evidence that the occurrence now due of an obligation was done."""

    obligation: ShortText  # the obligation's id
    file_ref: Line
    note: Note2000 | None = None
    # a lease-end data erasure needs both: who witnessed it (a post or department, 立会者)
    # and the vendor's erasure certificate (消去証明書: its number or file)
    witnessed_by: ShortText | None = None
    erasure_certificate: Line | None = None


class RenewCertificatePayload(Strict):
    """A new certificate (new expiry): the obligation's cycle is planned again from it."""

    obligation: ShortText
    certificate: Certificate


class MaterialChangePayload(Strict):
    reason: Note2000  # what changed (重要な変更)


class CertificateLapsedPayload(Strict):
    """A vendor's certificate was suspended, withdrawn or not renewed (news from the vendor or
    the certification body, not a date the engine could foresee)."""

    vendor: Line
    scheme: CertificateScheme
    reason: Note2000
