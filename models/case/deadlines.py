"""The next deadline of a case, by state: a pure function of the facts and the policy."""

from __future__ import annotations

import datetime as dt

from models.case.payloads import DueRule
from models.case.record import CaseConfig, CaseRecord
from models.case.states import CaseState
from models.tracking.schedule import due_items

TRACKING = (CaseState.conditions_pending, CaseState.active, CaseState.attention, CaseState.review)


def next_deadline(case: CaseRecord, config: CaseConfig) -> tuple[dt.date, str] | None:
    """The date of the next thing due and what it is, or None when nothing is pending."""
    if case.state in TRACKING and (tracked := _tracked(case)):
        return tracked
    policy, closures = config.policy, config.closures
    last_on = case.last_on
    try:
        match case.state:
            case CaseState.triage:
                return closures.add_business_days(last_on, policy.triage_due_business_days), (
                    "triage decision"
                )
            case CaseState.precheck:
                return closures.add_business_days(last_on, policy.precheck_due_business_days), (
                    "pre-check result"
                )
            case CaseState.ready if case.document.planned_start is not None:
                return case.document.planned_start.earliest, "planned start (schedule before it)"
            case CaseState.scheduled if case.session is not None:
                return closures.due_date(
                    case.session.held_on, policy.materials_lead_business_days
                ), "materials to members"
            case CaseState.materials_sent | CaseState.deliberating if case.session is not None:
                return case.session.held_on, "council session"
            case CaseState.answer_drafting if case.decision is not None:
                due = case.decision.decided_on + dt.timedelta(days=policy.answer_due_days)
                return closures.next_business_day(due), "answer (答申)"
            case CaseState.conditions_pending if case.decision is not None:
                done = {v.condition for v in case.verified}
                dated = [
                    c.due_on
                    for n, c in enumerate(case.decision.conditions, start=1)
                    if n not in done and c.due is DueRule.by_date and c.due_on is not None
                ]
                if dated:
                    return min(dated), "condition evidence"
                if case.document.planned_start is not None:
                    return case.document.planned_start.earliest, "pre-start conditions"
    except ValueError:
        return None  # beyond the calendar table: shown as no deadline rather than a wrong one
    return None


def _tracked(case: CaseRecord) -> tuple[dt.date, str] | None:
    """The first of the conditions, obligations and re-review the case tracks once answered."""
    dues = [(item.due_on, item.what) for item in due_items(case)]
    if case.review is None and case.next_review_on is not None:
        dues.append((case.next_review_on, "次回の定期再審査"))
    return min(dues, key=lambda due: due[0]) if dues else None
