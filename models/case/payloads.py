"""What a person gives with each trigger. One model per trigger; unknown fields are errors."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from models.case.document import Category, ConsultationDocument, Strict
from models.tracking.certificates import Certificate, CertificateScheme
from models.tracking.obligations import Obligation


class NoPayload(Strict):
    pass


class Reason(Strict):
    reason: str = Field(min_length=1)


class AmendPayload(Strict):
    document: ConsultationDocument


class RequireConsultationPayload(Strict):
    """事前協議の結果: consult the council (or report to it), with the reason recorded."""

    reason: str = Field(min_length=1)
    category: Category | None = None  # the secretariat may file a consultation as a report


class ReturnPayload(Strict):
    comments: list[str] = Field(min_length=1)


class CheckResult(StrEnum):
    conforming = "conforming"  # 適合
    nonconforming = "nonconforming"  # 不適合
    not_applicable = "not_applicable"  # 該当なし
    to_confirm = "to_confirm"  # 要確認


class CheckItem(Strict):
    check_id: str = Field(pattern=r"^C([1-9]|1[0-9]|2[0-7])$")  # DOMAIN.md §5, C1–C27
    result: CheckResult
    note: str | None = None


class PassPrecheckPayload(Strict):
    checklist_version: str = "2023.1"
    items: list[CheckItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [i.check_id for i in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError("each check_id may appear once")
        return self


class SessionRef(Strict):
    """The session an item is put on (a SessionWorkflow will own these later)."""

    session_id: str = Field(min_length=1, max_length=64)
    council: str = Field(min_length=1)
    held_on: dt.date
    label: str | None = None  # e.g. 平成29年度第3回


class SchedulePayload(Strict):
    session: SessionRef


class SendMaterialsPayload(Strict):
    late_reason: str | None = None  # required when the materials lead time is not met


class OpenDeliberationPayload(Strict):
    seats: int = Field(ge=1)
    present: int = Field(ge=0)  # members holding a seat
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
    text: str = Field(min_length=1)
    type: ConditionType
    due: DueRule
    due_on: dt.date | None = None
    business_days: int | None = Field(default=None, ge=1, le=250)
    owner: str = Field(min_length=1)

    @model_validator(mode="after")
    def _date_rule(self) -> Self:
        if (self.due is DueRule.by_date) != (self.due_on is not None):
            raise ValueError("due_on is required exactly when due is by_date")
        if (self.due is DueRule.within_business_days) != (self.business_days is not None):
            raise ValueError("business_days is required exactly when due is within_business_days")
        return self


class Votes(Strict):
    yes: int = Field(ge=0)
    no: int = Field(default=0, ge=0)
    abstain: int = Field(default=0, ge=0)
    chair_casting: bool | None = None  # the chair's vote on a tie (可否同数)


class Note(Strict):
    text: str = Field(min_length=1)
    owner: str | None = None


class DecidePayload(Strict):
    outcome: Outcome
    votes: Votes
    conditions: list[Condition] = Field(default_factory=list)
    opinions: list[Note] = Field(default_factory=list)  # 附帯意見
    action_items: list[Note] = Field(default_factory=list)  # 宿題
    summary: str | None = None


class ContinuePayload(Strict):
    reason: str = Field(min_length=1)
    next_session: SessionRef


class UnschedulePayload(Strict):
    """Why the secretariat took the case off the session's agenda (it waits in ready)."""

    reason: str = Field(min_length=1)


class ApprovedBy(StrEnum):
    session = "session"
    chair = "chair"  # 会長一任


class IssueAnswerPayload(Strict):
    number: str = Field(min_length=1)  # e.g. 第870号
    approved_by: ApprovedBy = ApprovedBy.session
    conclusion: str | None = None
    explanation_summary: str | None = None  # 実施機関の説明要旨 (答申書 section 2)
    reasons: str | None = None  # 審議会の判断理由 (答申書 section 3)


class Verification(Strict):
    condition: int = Field(ge=1)  # 1-based position in the decision's conditions
    evidence: str = Field(min_length=1)


class ConditionsFulfilledPayload(Strict):
    verified: list[Verification] = Field(min_length=1)


class ResolvePayload(Strict):
    evidence: str = Field(min_length=1)


class SupersedePayload(Strict):
    change_case: str = Field(min_length=1)


class ClosePayload(Strict):
    end_duties: list[str] = Field(min_length=1)  # e.g. data erasure witnessed, certificate no.


class EvidencePayload(Strict):
    """The department's evidence that a condition is met (a file reference and a note)."""

    condition: int = Field(ge=1)  # 1-based position in the decision's conditions
    file_ref: str = Field(min_length=1, max_length=500)  # e.g. 契約書第12条 (文書管理番号 …)
    note: str | None = Field(default=None, max_length=2000)


class ConditionVerdict(Strict):
    condition: int = Field(ge=1)
    note: str | None = Field(default=None, max_length=2000)


class ConditionReason(Strict):
    condition: int = Field(ge=1)
    reason: str = Field(min_length=1, max_length=2000)


class ReviewConfirmation(Strict):
    statement: str = Field(
        min_length=1, max_length=2000
    )  # what was checked: nothing material changed


class AddObligationPayload(Strict):
    obligation: Obligation


class FulfilObligationPayload(Strict):
    """Evidence that the occurrence now due of an obligation was done."""

    obligation: str = Field(min_length=1)  # the obligation's id
    file_ref: str = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=2000)
    # a lease-end data erasure needs both: who witnessed it (a post or department, 立会者)
    # and the vendor's erasure certificate (消去証明書: its number or file)
    witnessed_by: str | None = Field(default=None, min_length=1, max_length=200)
    erasure_certificate: str | None = Field(default=None, min_length=1, max_length=500)


class RenewCertificatePayload(Strict):
    """A new certificate (new expiry): the obligation's cycle is planned again from it."""

    obligation: str = Field(min_length=1)
    certificate: Certificate


class MaterialChangePayload(Strict):
    reason: str = Field(min_length=1, max_length=2000)  # what changed (重要な変更)


class CertificateLapsedPayload(Strict):
    """A vendor's certificate was suspended, withdrawn or not renewed (news from the vendor or
    the certification body, not a date the engine could foresee)."""

    vendor: str = Field(min_length=1)
    scheme: CertificateScheme
    reason: str = Field(min_length=1, max_length=2000)
