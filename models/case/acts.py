"""Recording an accepted act: the facts it brings, its warnings, one transition record.

``apply_act`` is what a handler runs once an act is checked (``models.case.checks``: the
validator's ``check_act`` and the checks of the acts that never come through ``act``). Pure,
so the unit tests drive check and apply without a server.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

import models.case.payloads as p
from models.calendar.jcalendar import ClosureTable
from models.case.checks import CheckedAct, check_act
from models.case.document import Category
from models.case.guards import relying_obligations
from models.case.record import (
    Answer,
    CaseRecord,
    CaseWarning,
    Decision,
    TransitionRecord,
    TriageDecision,
)
from models.case.states import CaseState, Trigger
from models.case.triage import Requirement
from models.tracking.certificates import add_months
from models.tracking.conditions import (
    DONE_KEPT,
    ConditionStatus,
    DoneDue,
    Evidence,
    Review,
    TrackedObligation,
    track,
)
from models.tracking.obligations import (
    Due,
    Obligation,
    ObligationKind,
    material_change_due,
    next_due,
)

__all__ = ["CheckedAct", "apply_act", "check_act"]


def _reason_of(payload: BaseModel) -> str | None:
    for name in ("reason", "evidence", "late_reason"):
        value = getattr(payload, name, None)
        if isinstance(value, str):
            return value
    if isinstance(payload, p.ReturnPayload):
        return "; ".join(payload.comments)
    if isinstance(payload, p.ClosePayload):
        return "; ".join(payload.end_duties)
    if isinstance(payload, p.FulfilObligationPayload):
        return f"{payload.obligation}: {payload.file_ref}"
    if isinstance(payload, p.RenewCertificatePayload):
        cert = payload.certificate
        return f"{payload.obligation}: {cert.scheme} {cert.number} (〜{cert.expires_on})"
    if isinstance(payload, p.AddObligationPayload):
        return f"{payload.obligation.id} ({payload.obligation.kind})"
    if isinstance(payload, p.ReviewConfirmation):
        return payload.statement
    if isinstance(payload, p.EvidencePayload):
        return f"条件{payload.condition}: {payload.file_ref}"
    if isinstance(payload, p.ConditionVerdict | p.ConditionReason):
        return f"条件{payload.condition}" + (
            f": {payload.reason}" if isinstance(payload, p.ConditionReason) else ""
        )
    if isinstance(payload, p.ConditionsFulfilledPayload):
        return "; ".join(f"条件{v.condition}: {v.evidence}" for v in payload.verified)
    if isinstance(payload, p.DecidePayload):
        return payload.summary or payload.outcome.value
    if isinstance(payload, p.SchedulePayload):
        return f"{payload.session.council} {payload.session.label or payload.session.session_id}"
    return None


def _warn(case: CaseRecord, code: str, message: str) -> None:
    case.warnings.append(CaseWarning(code=code, message=message, seq=case.seq))


def _set_category(case: CaseRecord, category: Category) -> None:
    """The secretariat's or council's call on 諮問/報告 also changes the document, so a case
    sent back to the department and submitted again keeps it."""
    case.category = category
    if case.document.category is not category:
        case.document = case.document.model_copy(update={"category": category})


def _ex_post_check(case: CaseRecord, on: dt.date, what: str) -> None:
    if case.category is Category.report:
        return  # a report (報告) is after the fact by nature
    start = case.document.planned_start
    if start is not None and on > start.earliest:
        _warn(
            case,
            "ex_post",
            f"事後諮問: {what} {on.isoformat()} is after the planned start "
            f"{start.earliest.isoformat()}",
        )


def _update_condition(
    case: CaseRecord,
    number: int,
    *,
    status: ConditionStatus,
    evidence: Evidence | None = None,
    verdict: str | None = None,
) -> None:
    tracked = case.conditions[number - 1]
    update: dict[str, object] = {"status": status}
    if evidence is not None:
        update["evidence"] = [*tracked.evidence, evidence]
    if verdict is not None:
        update["verdict"] = verdict
    case.conditions[number - 1] = tracked.model_copy(update=update)


def _obligation_at(case: CaseRecord, obligation_id: str) -> tuple[int, TrackedObligation]:
    return next((i, o) for i, o in enumerate(case.obligations) if o.obligation.id == obligation_id)


def _fulfil(
    case: CaseRecord,
    payload: p.FulfilObligationPayload,
    by: str,
    on: dt.date,
    closures: ClosureTable,
) -> None:
    i, tracked = _obligation_at(case, payload.obligation)
    assert tracked.current is not None
    done = DoneDue(
        key=tracked.current.key,
        what=tracked.current.what,
        due_on=tracked.current.due_on,
        evidence=Evidence(
            file_ref=payload.file_ref,
            note=payload.note,
            by=by,
            on=on,
            witnessed_by=payload.witnessed_by,
            erasure_certificate=payload.erasure_certificate,
        ),
    )
    following = (
        None
        if tracked.one_off
        else _next_due(case, tracked.obligation, closures, tracked.current.due_on)
    )
    case.obligations[i] = tracked.model_copy(
        update={
            "current": following,
            "overdue": False,
            "lapsed": False,
            "done": [*tracked.done, done][-DONE_KEPT:],
        }
    )


def _next_due(
    case: CaseRecord, ob: Obligation, closures: ClosureTable, after: dt.date
) -> Due | None:
    """The next due of ``ob``; None, with a warning, where it lies beyond the calendar table
    (the municipality must extend the table; a wrong date would be worse than none)."""
    try:
        return next_due(ob, closures, after=after)
    except ValueError as exc:
        _warn(case, "beyond_calendar", f"{ob.id}: next due not planned ({exc})")
        return None


def _business_days_after(closures: ClosureTable, on: dt.date, days: int) -> dt.date:
    """``days`` business days after ``on``; calendar days past the end of the table."""
    try:
        return closures.add_business_days(on, days)
    except ValueError:
        return on + dt.timedelta(days=days * 7 // 5)


def _review_after(case: CaseRecord, act: CheckedAct, on: dt.date) -> dt.date | None:
    months = act.ctx.config.policy.rereview_months
    return None if months is None else add_months(on, months)


def _record_facts(case: CaseRecord, act: CheckedAct) -> None:
    payload, on = act.payload, act.ctx.on
    closures = act.ctx.config.closures
    match payload:
        case p.AmendPayload():
            case.document = payload.document
            case.category = payload.document.category
        case p.RequireConsultationPayload():
            rule = act.ctx.config.triage.rule_for(
                case.document.kind,
                case.document.planned_start.earliest if case.document.planned_start else on,
            )
            assert rule is not None
            _set_category(case, payload.category or case.category)
            case.triage = TriageDecision(
                requirement=rule.requirement,
                legal_basis=rule.legal_basis,
                reason=payload.reason,
                rule_effective_from=rule.effective_from,
            )
        case p.ReturnPayload():
            case.return_comments = payload.comments
        case p.PassPrecheckPayload():
            case.precheck = payload.items
        case p.SchedulePayload():
            case.session = payload.session
            _ex_post_check(case, payload.session.held_on, "the session on")
        case p.UnschedulePayload():
            case.session = None
        case p.SendMaterialsPayload() if payload.late_reason:
            _warn(case, "materials_late", f"materials sent late: {payload.late_reason}")
        case p.OpenDeliberationPayload():
            case.attendance = (payload.present, payload.seats)
        case p.DecidePayload():
            case.decision = Decision(
                outcome=payload.outcome,
                votes=payload.votes,
                conditions=payload.conditions,
                opinions=payload.opinions,
                action_items=payload.action_items,
                summary=payload.summary,
                decided_on=on,
            )
        case p.ContinuePayload():
            assert case.session is not None
            case.past_sessions.append(case.session)
            case.session = payload.next_session
            case.attendance = None
            _ex_post_check(case, payload.next_session.held_on, "the next session on")
        case p.IssueAnswerPayload():
            case.answer = Answer(
                number=payload.number,
                issued_on=on,
                approved_by=payload.approved_by.value,
                conclusion=payload.conclusion,
                explanation_summary=payload.explanation_summary,
                reasons=payload.reasons,
                signed_by=payload.signed_by,
            )
        case p.ConditionsFulfilledPayload():
            case.verified = [*case.verified, *payload.verified]
            for v in payload.verified:
                if v.condition <= len(case.conditions):
                    _update_condition(
                        case,
                        v.condition,
                        status=ConditionStatus.verified,
                        evidence=Evidence(file_ref=v.evidence, by=act.actor.name, on=on),
                    )
        case p.EvidencePayload():
            _update_condition(
                case,
                payload.condition,
                status=ConditionStatus.submitted,
                evidence=Evidence(
                    file_ref=payload.file_ref, note=payload.note, by=act.actor.name, on=on
                ),
            )
        case p.ConditionVerdict():
            _update_condition(
                case, payload.condition, status=ConditionStatus.verified, verdict=payload.note
            )
        case p.ConditionReason():
            status = (
                ConditionStatus.waived
                if act.trigger is Trigger.waive_condition
                else ConditionStatus.rejected
            )
            _update_condition(case, payload.condition, status=status, verdict=payload.reason)
        case p.SupersedePayload():
            case.superseded_by = payload.change_case
        case p.AddObligationPayload():
            due = _next_due(case, payload.obligation, closures, on - dt.timedelta(days=1))
            case.obligations.append(TrackedObligation(obligation=payload.obligation, current=due))
        case p.FulfilObligationPayload():
            _fulfil(case, payload, act.actor.name, on, closures)
        case p.RenewCertificatePayload():
            i, tracked = _obligation_at(case, payload.obligation)
            renewed = tracked.obligation.model_copy(update={"certificate": payload.certificate})
            case.obligations[i] = TrackedObligation(
                obligation=renewed,
                current=_next_due(case, renewed, closures, on - dt.timedelta(days=1)),
                done=tracked.done,
            )
        case p.MaterialChangePayload():
            count = sum(1 for o in case.obligations if o.one_off) + 1
            ob = Obligation(
                id=f"pia-change-{count}", kind=ObligationKind.pia_reevaluation, anchor=on
            )
            days = act.ctx.config.policy.material_change_business_days
            try:
                change: Due | None = material_change_due(ob.id, on, closures, days)
            except ValueError as exc:
                _warn(case, "beyond_calendar", f"{ob.id}: due date not planned ({exc})")
                change = None
            case.obligations.append(TrackedObligation(obligation=ob, current=change, one_off=True))
        case p.CertificateLapsedPayload():
            for ob_id in relying_obligations(case.obligations, payload.vendor, payload.scheme):
                i, tracked = _obligation_at(case, ob_id)
                case.obligations[i] = tracked.model_copy(update={"lapsed": True})
        case p.ReviewConfirmation():
            case.review = None
            case.next_review_on = _review_after(case, act, on)
        case _:
            pass
    if act.trigger is Trigger.waive_consultation:
        rule = act.ctx.config.triage.rule_for(
            case.document.kind,
            case.document.planned_start.earliest if case.document.planned_start else on,
        )
        assert rule is not None and isinstance(payload, p.Reason)
        case.triage = TriageDecision(
            requirement=Requirement.not_required,
            legal_basis=rule.legal_basis,
            reason=payload.reason,
            rule_effective_from=rule.effective_from,
        )
    if act.trigger is Trigger.convert_to_consultation:
        _set_category(case, Category.consultation)
    if act.trigger is Trigger.submit:
        _ex_post_check(case, on, "submitted on")


def apply_act(
    case: CaseRecord, act: CheckedAct, dest: CaseState, at: dt.datetime
) -> TransitionRecord:
    """Record an accepted act: its facts, its warnings and one transition record."""
    source = case.state
    case.seq += 1
    _record_facts(case, act)
    if (
        act.trigger is Trigger.apply_outcome
        and dest is CaseState.conditions_pending
        and case.decision is not None
        and not case.conditions
    ):
        case.conditions = track(
            case.decision.conditions, case.document, act.ctx.on, act.ctx.config.closures
        )
    if act.trigger is Trigger.open_review:
        case.reviews += 1
        case.review = Review(
            number=case.reviews,
            opened_on=act.ctx.on,
            due_on=_business_days_after(
                act.ctx.config.closures,
                act.ctx.on,
                act.ctx.config.policy.review_response_business_days,
            ),
        )
    if dest is CaseState.active and case.active_since is None:
        case.active_since = act.ctx.on
        case.next_review_on = _review_after(case, act, act.ctx.on)
    case.state = dest
    record = TransitionRecord(
        seq=case.seq,
        trigger=act.trigger,
        source=source,
        dest=dest,
        actor=act.actor,
        at=at,
        on=act.ctx.on,
        reason=_reason_of(act.payload),
    )
    case.history.append(record)
    return record
