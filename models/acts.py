"""Checking a person's act against the lifecycle, and recording the facts it brings.

``check_act`` is what the update validator runs (it never changes anything); ``apply_act``
is what the handler runs once the act is accepted. Both are pure, so the unit tests drive
them without a server.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from models import payloads as p
from models.case import (
    ActInput,
    Actor,
    Answer,
    CaseConfig,
    CaseRecord,
    CaseWarning,
    Decision,
    TransitionRecord,
    TriageDecision,
)
from models.document import Category
from models.errors import (
    GuardFailed,
    InvalidPayload,
    InvalidTransition,
    RoleNotAllowed,
    describe_validation_error,
)
from models.guards import GuardContext
from models.labels import STATE_LABELS
from models.lifecycle import PAYLOADS, CaseMachine, guard_failures, rules_for, triggers_from
from models.states import CaseState, Trigger
from models.triage import Requirement


@dataclass(frozen=True)
class CheckedAct:
    trigger: Trigger
    actor: Actor
    payload: BaseModel
    ctx: GuardContext


def check_act(
    case: CaseRecord, config: CaseConfig, machine: CaseMachine, act: ActInput, today: dt.date
) -> CheckedAct:
    """Raise the domain error that explains why ``act`` cannot happen now; else the parsed act."""
    try:
        trigger = Trigger(act.trigger)
    except ValueError:
        raise InvalidPayload(
            f"trigger: unknown trigger {act.trigger!r} (known: {', '.join(Trigger)})"
        ) from None
    if case.parked is not None:
        raise GuardFailed(
            f"step {case.parked.step} is parked after a failure; an admin must retry, skip "
            "or abort it first"
        )
    rules = rules_for(trigger, case.state)
    if not rules:
        allowed = ", ".join(triggers_from(case.state)) or "nothing (terminal)"
        raise InvalidTransition(
            f"{trigger} is not allowed from {case.state} ({STATE_LABELS[case.state]}); "
            f"allowed: {allowed}"
        )
    if act.actor.role not in rules[0].roles:
        raise RoleNotAllowed(
            f"{trigger} is done by {' or '.join(rules[0].roles)}, not {act.actor.role}"
        )
    on = act.on or today
    if on > today:
        raise InvalidPayload(f"on: {on.isoformat()} is in the future (today is {today})")
    if on < case.last_on:
        raise InvalidPayload(
            f"on: {on.isoformat()} is before the previous act of {case.last_on.isoformat()}"
        )
    try:
        payload = PAYLOADS[trigger].model_validate(act.payload)
    except ValidationError as exc:
        raise InvalidPayload(describe_validation_error(exc, "payload")) from None
    ctx = GuardContext(config=config, on=on)
    if not machine.can(trigger, case, payload, ctx):
        reasons = [reason for rule in rules for reason in guard_failures(rule, case, payload, ctx)]
        raise GuardFailed(f"{trigger}: {'; '.join(dict.fromkeys(reasons))}")
    return CheckedAct(trigger=trigger, actor=act.actor, payload=payload, ctx=ctx)


def _reason_of(payload: BaseModel) -> str | None:
    for name in ("reason", "evidence", "late_reason"):
        value = getattr(payload, name, None)
        if isinstance(value, str):
            return value
    if isinstance(payload, p.ReturnPayload):
        return "; ".join(payload.comments)
    if isinstance(payload, p.ClosePayload):
        return "; ".join(payload.end_duties)
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


def _record_facts(case: CaseRecord, act: CheckedAct) -> None:
    payload, on = act.payload, act.ctx.on
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
            )
        case p.ConditionsFulfilledPayload():
            case.verified = [*case.verified, *payload.verified]
        case p.SupersedePayload():
            case.superseded_by = payload.change_case
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
