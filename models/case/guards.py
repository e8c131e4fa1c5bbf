"""Pure guards: each looks at the case facts and the trigger payload and returns the reason
the trigger may not fire, or None when it may. No effects, no clock: the business date
comes in the context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models.case.document import Category, missing_fields
from models.case.payloads import (
    CheckResult,
    ConditionsFulfilledPayload,
    ContinuePayload,
    DecidePayload,
    DueRule,
    OpenDeliberationPayload,
    Outcome,
    PassPrecheckPayload,
    RequireConsultationPayload,
    SchedulePayload,
    SendMaterialsPayload,
)
from models.case.record import CaseConfig, CaseRecord
from models.case.triage import KindRule, Requirement
from models.errors import (
    CaseError,
    ConditionClosed,
    InvalidPayload,
    UnknownCondition,
    UnknownObligation,
)
from models.tracking.conditions import (
    AWAITING_EVIDENCE,
    CLOSED,
    ConditionStatus,
    TrackedCondition,
    TrackedObligation,
)
from models.tracking.obligations import ObligationKind


@dataclass(frozen=True)
class GuardContext:
    config: CaseConfig
    on: dt.date  # the business date of the act


# A guard returns None (may fire), a reason (GuardFailed) or a typed domain error.
Guard = Callable[[CaseRecord, Any, GuardContext], "str | CaseError | None"]


def _business_due(ctx: GuardContext, anchor: dt.date, days: int) -> dt.date | str:
    try:
        return ctx.config.closures.due_date(anchor, days)
    except ValueError as exc:
        return f"calendar: {exc}"


def document_complete(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | None:
    missing = missing_fields(case.document)
    return f"the document lacks required fields: {', '.join(missing)}" if missing else None


def _triage_rule(case: CaseRecord, ctx: GuardContext) -> KindRule | str:
    start = case.document.planned_start
    on = start.earliest if start is not None else ctx.on
    rule = ctx.config.triage.rule_for(case.document.kind, on)
    if rule is None:
        return f"no triage rule for kind {case.document.kind} on {on.isoformat()}"
    return rule


def consultation_warranted(
    case: CaseRecord, payload: RequireConsultationPayload, ctx: GuardContext
) -> str | None:
    rule = _triage_rule(case, ctx)
    if isinstance(rule, str):
        return rule
    category = payload.category or case.category
    when = f"kind {rule.kind} from {rule.effective_from.isoformat()} ({rule.legal_basis})"
    if rule.requirement is Requirement.not_required:
        return f"{when} needs no consultation; use waive_consultation"
    if rule.requirement is Requirement.required and category is Category.report:
        return f"{when} requires a consultation (諮問), not a report"
    if rule.requirement is Requirement.report and category is Category.consultation:
        return f"{when} is a report item (報告); set category: report"
    return None


def consultation_waivable(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | None:
    rule = _triage_rule(case, ctx)
    if isinstance(rule, str):
        return rule
    if rule.requirement in (Requirement.required, Requirement.report):
        return (
            f"kind {rule.kind} from {rule.effective_from.isoformat()} is {rule.requirement} "
            f"({rule.legal_basis}); it cannot be waived"
        )
    return None


def precheck_complete(
    case: CaseRecord, payload: PassPrecheckPayload, ctx: GuardContext
) -> str | None:
    open_items = [i.check_id for i in payload.items if i.result is CheckResult.to_confirm]
    if open_items:
        return f"items still to confirm (要確認): {', '.join(open_items)}"
    unjustified = [
        i.check_id
        for i in payload.items
        if i.result is CheckResult.nonconforming and not (i.note and i.note.strip())
    ]
    if unjustified:
        return f"nonconforming items need a justification note: {', '.join(unjustified)}"
    return None


def notice_lead_time(case: CaseRecord, payload: SchedulePayload, ctx: GuardContext) -> str | None:
    held_on = payload.session.held_on
    if held_on < ctx.on:
        return f"session.held_on {held_on.isoformat()} is in the past"
    days = ctx.config.policy.notice_lead_business_days
    due = _business_due(ctx, held_on, days) if days else held_on  # 0: any time up to the day
    if isinstance(due, str):
        return due
    if ctx.on > due:
        return (
            f"the notice lead time of {days} business days does not hold: the notice was due "
            f"by {due.isoformat()} for the session on {held_on.isoformat()}"
        )
    return None


def materials_lead_time(
    case: CaseRecord, payload: SendMaterialsPayload, ctx: GuardContext
) -> str | None:
    assert case.session is not None
    days = ctx.config.policy.materials_lead_business_days
    due = _business_due(ctx, case.session.held_on, days) if days else case.session.held_on
    if isinstance(due, str):
        return due
    if ctx.on > case.session.held_on:
        return "the session has already been held"
    if ctx.on > due and not payload.late_reason:
        return (
            f"materials were due by {due.isoformat()} ({days} business days before the "
            "session); give late_reason to send them late"
        )
    return None


def quorum(case: CaseRecord, payload: OpenDeliberationPayload, ctx: GuardContext) -> str | None:
    assert case.session is not None
    if payload.present > payload.seats:
        return f"present ({payload.present}) exceeds seats ({payload.seats})"
    if payload.half_is_quorum and payload.present * 2 < payload.seats:
        return f"no quorum: {payload.present} of {payload.seats} present, half is needed"
    if not payload.half_is_quorum and payload.present * 2 <= payload.seats:
        return f"no quorum: {payload.present} of {payload.seats} present, a majority is needed"
    if ctx.on != case.session.held_on:
        return f"the session is held on {case.session.held_on.isoformat()}, not {ctx.on}"
    return None


def _carried(payload: DecidePayload, present: int) -> bool:
    votes = payload.votes
    if votes.yes * 2 > present:
        return True
    return votes.yes == votes.no and votes.chair_casting is True  # 可否同数: the chair decides


def valid_decision(case: CaseRecord, payload: DecidePayload, ctx: GuardContext) -> str | None:
    if case.category is not Category.consultation:
        return "a report item is noted or converted, not decided"
    assert case.attendance is not None
    present = case.attendance[0]
    votes = payload.votes
    cast = votes.yes + votes.no + votes.abstain
    if cast > present:
        return f"votes cast ({cast}) exceed members present ({present})"
    if payload.outcome is Outcome.approve_with_conditions and not payload.conditions:
        return "approve_with_conditions needs at least one condition"
    if payload.outcome is not Outcome.approve_with_conditions and payload.conditions:
        return (
            f"conditions given: outcome {payload.outcome} takes none; "
            "use outcome approve_with_conditions"
        )
    carried = _carried(payload, present)
    if payload.outcome is Outcome.reject and carried:
        return f"{votes.yes} of {present} voted yes: the motion carried, it cannot be rejected"
    if payload.outcome is not Outcome.reject and not carried:
        return f"{votes.yes} of {present} voted yes: no majority of those present"
    return None


def is_report(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | None:
    return (
        None
        if case.category is Category.report
        else "only a report item (報告) can be noted or converted"
    )


def later_session(case: CaseRecord, payload: ContinuePayload, ctx: GuardContext) -> str | None:
    assert case.session is not None
    if payload.next_session.held_on < case.session.held_on:
        return "next_session.held_on must not be before the current session"
    if payload.next_session.session_id == case.session.session_id:
        return "next_session must be another session"
    return None


def decided_before(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | None:
    assert case.decision is not None
    if ctx.on < case.decision.decided_on:
        return f"the answer cannot predate the decision of {case.decision.decided_on}"
    return None


def _outcome_is(outcome: Outcome) -> Guard:
    def guard(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | None:
        if case.decision is None or case.decision.outcome is not outcome:
            return f"the outcome is not {outcome}"
        return None

    guard.__name__ = f"outcome_is_{outcome.value}"
    return guard


outcome_is_approve = _outcome_is(Outcome.approve)
outcome_is_conditional = _outcome_is(Outcome.approve_with_conditions)
outcome_is_reject = _outcome_is(Outcome.reject)


def prestart_conditions_verified(
    case: CaseRecord, payload: ConditionsFulfilledPayload, ctx: GuardContext
) -> str | None:
    assert case.decision is not None
    conditions = case.decision.conditions
    unknown = [v.condition for v in payload.verified if v.condition > len(conditions)]
    if unknown:
        return f"no such condition: {unknown} (the decision has {len(conditions)})"
    done = {v.condition for v in [*case.verified, *payload.verified]} | {
        c.number for c in case.conditions if c.status in CLOSED
    }
    blocking = [
        n
        for n, c in enumerate(conditions, start=1)
        if c.due in (DueRule.before_contract, DueRule.before_start) and n not in done
    ]
    if blocking:
        return f"pre-start conditions not yet verified: {blocking}"
    return None


def _tracked(case: CaseRecord, number: int) -> TrackedCondition | CaseError:
    if not 1 <= number <= len(case.conditions):
        return UnknownCondition(
            f"payload.condition: no condition {number} "
            f"(the answer has {len(case.conditions)} condition(s))"
        )
    return case.conditions[number - 1]


def evidence_awaited(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | CaseError | None:
    tracked = _tracked(case, payload.condition)
    if isinstance(tracked, CaseError):
        return tracked
    if tracked.status not in AWAITING_EVIDENCE:
        return ConditionClosed(
            f"payload.condition: condition {tracked.number} is {tracked.status.value}; "
            "evidence is taken only for an open, rejected or overdue condition"
        )
    return None


def evidence_submitted(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | CaseError | None:
    tracked = _tracked(case, payload.condition)
    if isinstance(tracked, CaseError):
        return tracked
    if tracked.status is not ConditionStatus.submitted:
        return ConditionClosed(
            f"payload.condition: condition {tracked.number} is {tracked.status.value}; "
            "only submitted evidence can be verified or rejected"
        )
    return None


def condition_not_closed(
    case: CaseRecord, payload: Any, ctx: GuardContext
) -> str | CaseError | None:
    tracked = _tracked(case, payload.condition)
    if isinstance(tracked, CaseError):
        return tracked
    if tracked.status in CLOSED:
        return ConditionClosed(
            f"payload.condition: condition {tracked.number} is already {tracked.status.value}"
        )
    return None


def start_unblocked(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | None:
    blocking = [c.number for c in case.conditions if c.blocks_start]
    if blocking:
        return f"pre-start conditions not yet verified or waived: {blocking}"
    return None


def start_blocked(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | None:
    return None if any(c.blocks_start for c in case.conditions) else "nothing blocks the start"


def nothing_overdue(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | None:
    overdue = case.overdue_items()
    if overdue:
        return f"still overdue: {', '.join(overdue)} (submit evidence first)"
    return None


def something_overdue(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | None:
    return None if case.overdue_items() else "nothing is overdue"


def _obligation_exists(case: CaseRecord, obligation_id: str) -> CaseError | None:
    if case.obligation(obligation_id) is None:
        known = ", ".join(o.obligation.id for o in case.obligations) or "none"
        return UnknownObligation(
            f"payload.obligation: no obligation {obligation_id!r} on this case (known: {known})"
        )
    return None


def new_obligation(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | None:
    if case.obligation(payload.obligation.id) is not None:
        return f"payload.obligation.id: {payload.obligation.id!r} is already an obligation here"
    return None


def obligation_due(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | CaseError | None:
    missing = _obligation_exists(case, payload.obligation)
    if missing:
        return missing
    tracked = case.obligation(payload.obligation)
    assert tracked is not None
    if tracked.current is None:
        return f"payload.obligation: nothing of {payload.obligation!r} is due any more"
    if tracked.obligation.kind is ObligationKind.data_erasure:
        for field in ("witnessed_by", "erasure_certificate"):
            if getattr(payload, field) is None:
                return InvalidPayload(
                    f"payload.{field}: a data erasure is done only when witnessed and "
                    "certified (立会者 and 消去証明書 are both required)"
                )
    return None


def certificate_renewal(
    case: CaseRecord, payload: Any, ctx: GuardContext
) -> str | CaseError | None:
    missing = _obligation_exists(case, payload.obligation)
    if missing:
        return missing
    tracked = case.obligation(payload.obligation)
    assert tracked is not None
    old = tracked.obligation.certificate
    if tracked.obligation.kind is not ObligationKind.certificate or old is None:
        return f"payload.obligation: {payload.obligation!r} is not a certificate obligation"
    new = payload.certificate
    if new.scheme is not old.scheme:
        return f"payload.certificate.scheme: {new.scheme} does not renew a {old.scheme} certificate"
    if new.expires_on <= old.expires_on:
        return (
            f"payload.certificate.expires_on: {new.expires_on} is not later than the "
            f"current expiry {old.expires_on}"
        )
    return None


def step_parked(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | None:
    return None if case.parked is not None else "no step is parked; only a parked case is aborted"


def review_due(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | None:
    if case.next_review_on is None or ctx.on < case.next_review_on:
        return f"no re-review is due (next on {case.next_review_on})"
    return None


def relies_on_certificate(case: CaseRecord, payload: Any, ctx: GuardContext) -> str | None:
    if not relying_obligations(case.obligations, payload.vendor, payload.scheme):
        return f"the case relies on no {payload.scheme} certificate of {payload.vendor!r}"
    return None


def relying_obligations(
    obligations: list[TrackedObligation], vendor: str, scheme: str
) -> list[str]:
    """Ids of the certificate obligations that rest on ``vendor``'s ``scheme``."""
    return [
        o.obligation.id
        for o in obligations
        if o.obligation.certificate is not None
        and o.obligation.certificate.vendor == vendor
        and o.obligation.certificate.scheme == scheme
    ]
