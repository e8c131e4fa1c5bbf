"""Conditions of a conditional approval, tracked one by one from the answer to operation.

A condition moves ``open → submitted → verified``; the secretariat may reject the evidence
(back to ``rejected``, i.e. open again) or waive the condition with a reason. An open or
rejected condition past its due date is ``overdue`` until evidence comes in.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from models.calendar.jcalendar import ClosureTable
from models.case.document import ConsultationDocument, Strict
from models.case.payloads import Condition, DueRule
from models.tracking.obligations import Due, Obligation


class ConditionStatus(StrEnum):
    open = "open"
    submitted = "submitted"
    verified = "verified"
    rejected = "rejected"  # evidence refused: open again
    waived = "waived"
    overdue = "overdue"


CLOSED = frozenset({ConditionStatus.verified, ConditionStatus.waived})
AWAITING_EVIDENCE = frozenset(
    {ConditionStatus.open, ConditionStatus.rejected, ConditionStatus.overdue}
)


class Evidence(Strict):
    file_ref: str
    note: str | None = None
    by: str
    on: dt.date
    witnessed_by: str | None = None  # data erasure only
    erasure_certificate: str | None = None  # data erasure only


class TrackedCondition(Strict):
    number: int  # 1-based, as in the answer (条件1, 条件2 …)
    condition: Condition
    status: ConditionStatus = ConditionStatus.open
    due_on: dt.date | None = None  # a date for by_date; the planned start for pre-start ones
    evidence: list[Evidence] = Field(default_factory=list)
    verdict: str | None = None  # the secretariat's note on verification, rejection or waiver

    @property
    def blocks_start(self) -> bool:
        return (
            self.condition.due in (DueRule.before_contract, DueRule.before_start)
            and self.status not in CLOSED
        )

    @property
    def what(self) -> str:
        return f"条件{self.number}の履行報告"


def track(
    conditions: list[Condition],
    document: ConsultationDocument,
    answered_on: dt.date,
    closures: ClosureTable,
) -> list[TrackedCondition]:
    """Tracked conditions for a conditional approval. Pre-start conditions fall due at the
    planned start (a contract comes before the start, so before_contract does too); one due
    within N business days counts them from the answer."""
    start = document.planned_start.earliest if document.planned_start else None
    return [
        TrackedCondition(number=n, condition=c, due_on=_due_on(c, start, answered_on, closures))
        for n, c in enumerate(conditions, start=1)
    ]


def _due_on(
    c: Condition, start: dt.date | None, answered_on: dt.date, closures: ClosureTable
) -> dt.date | None:
    if c.due is DueRule.by_date:
        return c.due_on
    if c.due is DueRule.within_business_days:
        assert c.business_days is not None
        try:
            return closures.add_business_days(answered_on, c.business_days)
        except ValueError:  # beyond the calendar table: calendar days, never earlier
            return answered_on + dt.timedelta(days=c.business_days * 7 // 5)
    return start


class DoneDue(Strict):
    key: str
    what: str
    due_on: dt.date
    evidence: Evidence


class TrackedObligation(Strict):
    """One recurring duty of an active case and the occurrence now due."""

    obligation: Obligation
    current: Due | None  # None: nothing more falls due (a one-off done, a certificate ended)
    overdue: bool = False
    lapsed: bool = False  # the certificate lapsed (missed surveillance, expiry passed)
    one_off: bool = False  # e.g. a PIA redone after a material change
    done: list[DoneDue] = Field(default_factory=list)  # the latest few, newest last


DONE_KEPT = 10  # fulfilled occurrences kept per obligation (history keeps them all)


class Review(Strict):
    """A periodic re-review of the approval, open until the department answers."""

    number: int
    opened_on: dt.date
    due_on: dt.date
