"""What a case shows: the snapshot (``case show``, the web desk) and the read-model row, built
from the case record alone. Pure, so the workflow's query and the tests share them."""

from __future__ import annotations

import datetime as dt

from models.calendar.jcalendar import fiscal_year
from models.case.deadlines import next_deadline
from models.case.lifecycle import allowed_actions
from models.case.record import CaseConfig, CaseRecord, CaseSnapshot
from models.labels import STATE_LABELS
from models.projection import CaseSummary


def case_fiscal_year(case: CaseRecord) -> int:
    """The fiscal year (年度) of the case: that of the day it was created."""
    return fiscal_year(case.history[0].on)


def case_snapshot(
    case: CaseRecord,
    config: CaseConfig,
    *,
    projected_seq: int,
    today: dt.date,
    reminders_sent: int,
) -> CaseSnapshot:
    """The case as it stands: state, label, allowed actions, history, parked step."""
    deadline = next_deadline(case, config)
    return CaseSnapshot(
        case_id=case.case_id,
        external_ref=case.external_ref,
        state=case.state,
        label=STATE_LABELS[case.state],
        category=case.category,
        document=case.document,
        fiscal_year=case_fiscal_year(case),
        next_deadline=deadline[0] if deadline else None,
        next_deadline_what=deadline[1] if deadline else None,
        allowed=allowed_actions(case.state, parked=case.parked is not None),
        history=case.history,
        warnings=case.warnings,
        triage=case.triage,
        session=case.session,
        decision=case.decision,
        answer=case.answer,
        parked=case.parked,
        admin_log=case.admin_log,
        projected_seq=projected_seq,
        run_count=case.runs,
        conditions=case.conditions,
        obligations=case.obligations,
        review=case.review,
        next_review_on=case.next_review_on,
        business_today=today,
        reminders_sent=reminders_sent,
        reminders_queued=len(case.outbox),
        verified=case.verified,
        resets=case.resets,
    )


def case_summary(case: CaseRecord, config: CaseConfig) -> CaseSummary:
    """The case's row in the read model: no personal data, only what a list needs."""
    deadline = next_deadline(case, config)
    return CaseSummary(
        case_id=case.case_id,
        external_ref=case.external_ref,
        title=case.document.title,
        kind=case.document.kind,
        category=case.category,
        department=case.document.department,
        state=case.state,
        fiscal_year=case_fiscal_year(case),
        seq=case.seq,
        next_deadline=deadline[0] if deadline else None,
        next_deadline_what=deadline[1] if deadline else None,
        parent_case=case.document.parent_case,
    )
