"""Checking a person's act against the lifecycle, and recording the facts it brings.

``check_act`` is what the ``act`` validator runs (it never changes anything); ``apply_act``
is what the handler runs once the act is accepted. ``engine_act``, ``check_abort`` and
``check_supersede`` check the acts that never come through ``act``: the engine's own, an
admin's abort of a parked case, and a change case superseding its parent. All are pure, so
the unit tests drive them without a server.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from models import payloads as p
from models.case import (
    ActInput,
    Actor,
    AdminInput,
    Answer,
    CaseConfig,
    CaseRecord,
    CaseWarning,
    ChangeCaseInfo,
    Decision,
    TransitionRecord,
    TriageDecision,
)
from models.certificates import add_months
from models.document import Category
from models.errors import (
    CaseError,
    CaseNotFound,
    EngineOnly,
    GuardFailed,
    InvalidPayload,
    InvalidTransition,
    NoParkedStep,
    RoleNotAllowed,
    describe_validation_error,
)
from models.guards import GuardContext, relying_obligations
from models.jcalendar import ClosureTable
from models.labels import STATE_LABELS
from models.lifecycle import (
    PAYLOADS,
    REPAIRS,
    CaseMachine,
    guard_failures,
    is_engine_only,
    rules_for,
    triggers_from,
)
from models.obligations import (
    Due,
    Obligation,
    ObligationKind,
    material_change_due,
    next_due,
)
from models.projection import SupersedeInput
from models.states import CaseState, Role, Trigger
from models.tracking import (
    DONE_KEPT,
    ConditionStatus,
    DoneDue,
    Evidence,
    Review,
    TrackedObligation,
    track,
)
from models.triage import Requirement

ENGINE = Actor(role=Role.engine, name="toshin")


@dataclass(frozen=True)
class CheckedAct:
    trigger: Trigger
    actor: Actor
    payload: BaseModel
    ctx: GuardContext


def check_act(
    case: CaseRecord,
    config: CaseConfig,
    machine: CaseMachine,
    act: ActInput,
    today: dt.date,
    *,
    allow_engine_only: bool = False,
) -> CheckedAct:
    """Raise the domain error that explains why ``act`` cannot happen now; else the parsed act.

    Engine-only triggers are refused whoever asks (``EngineOnly``); ``allow_engine_only`` is
    for the ``act`` handler alone, which replays histories recorded before that refusal."""
    try:
        trigger = Trigger(act.trigger)
    except ValueError:
        raise InvalidPayload(
            f"trigger: unknown trigger {act.trigger!r} (known: {', '.join(Trigger)})"
        ) from None
    if is_engine_only(trigger) and not allow_engine_only:
        raise EngineOnly(f"{trigger} is fired by the engine itself, never on request")
    if trigger in REPAIRS:
        raise InvalidTransition(
            f"{trigger} is not an act: an admin does it to a parked case (admin {trigger})"
        )
    _not_parked(case)
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
    on = _act_date(case, act.on or today, today)
    try:
        payload = PAYLOADS[trigger].model_validate(act.payload)
    except ValidationError as exc:
        raise InvalidPayload(describe_validation_error(exc, "payload")) from None
    return _guarded(
        case, machine, CheckedAct(trigger, act.actor, payload, GuardContext(config, on))
    )


def engine_act(
    case: CaseRecord,
    config: CaseConfig,
    machine: CaseMachine,
    trigger: Trigger,
    payload: BaseModel,
    on: dt.date,
) -> CheckedAct | None:
    """The engine's own act, when the table lets it fire now; None when it may not."""
    act = CheckedAct(trigger, ENGINE, payload, GuardContext(config, on))
    return act if machine.can(trigger, case, payload, act.ctx) else None


def check_abort(
    case: CaseRecord, config: CaseConfig, machine: CaseMachine, inp: AdminInput, today: dt.date
) -> CheckedAct:
    """Why an admin may not abort the case now; else the abort to fire (rule ``abort``)."""
    if case.parked is None:
        raise NoParkedStep(f"case {case.case_id} has no parked step")
    if inp.actor.role is not Role.admin:
        raise RoleNotAllowed(f"admin actions are done by admin, not {inp.actor.role}")
    if not rules_for(Trigger.abort, case.state):
        raise InvalidTransition(
            f"abort is not allowed from {case.state} ({STATE_LABELS[case.state]}): the case "
            "has ended; retry or skip the parked step"
        )
    payload = p.Reason(reason=inp.reason)
    on = max(today, case.last_on)
    return _guarded(
        case, machine, CheckedAct(Trigger.abort, inp.actor, payload, GuardContext(config, on))
    )


def check_supersede(
    case: CaseRecord,
    config: CaseConfig,
    machine: CaseMachine,
    inp: SupersedeInput,
    today: dt.date,
    change: ChangeCaseInfo | None = None,
) -> CheckedAct:
    """Why the change case ``inp.change_case`` may not supersede this case now; else the
    engine's ``supersede``. ``change`` is the change case as an activity found it (None in the
    validator, which cannot look it up: the handler checks again with it)."""
    if inp.parent_case != case.case_id:
        raise InvalidPayload(f"parent_case: {inp.parent_case} is not this case ({case.case_id})")
    if inp.change_case == case.case_id:
        raise InvalidPayload("change_case: a case cannot supersede itself")
    _not_parked(case)
    if not rules_for(Trigger.supersede, case.state):
        raise InvalidTransition(
            f"supersede is not allowed from {case.state} ({STATE_LABELS[case.state]})"
        )
    on = _act_date(case, inp.on, today)
    if change is not None:
        if not change.found:
            raise CaseNotFound(f"change case {inp.change_case} not found")
        if change.parent_case != case.case_id:
            raise GuardFailed(
                f"change case {inp.change_case} changes {change.parent_case or 'no case'}, "
                f"not {case.case_id}"
            )
        if not change.answered:
            raise GuardFailed(
                f"change case {inp.change_case} is not answered with an approval "
                f"(state {change.state})"
            )
    payload = p.SupersedePayload(change_case=inp.change_case)
    return _guarded(
        case, machine, CheckedAct(Trigger.supersede, ENGINE, payload, GuardContext(config, on))
    )


def _not_parked(case: CaseRecord) -> None:
    if case.parked is not None:
        raise GuardFailed(
            f"step {case.parked.step} is parked after a failure; an admin must retry, skip "
            "or abort it first"
        )


def _act_date(case: CaseRecord, on: dt.date, today: dt.date) -> dt.date:
    if on > today:
        raise InvalidPayload(f"on: {on.isoformat()} is in the future (today is {today})")
    if on < case.last_on:
        raise InvalidPayload(
            f"on: {on.isoformat()} is before the previous act of {case.last_on.isoformat()}"
        )
    return on


def _guarded(case: CaseRecord, machine: CaseMachine, act: CheckedAct) -> CheckedAct:
    """``act`` when the Machine lets it fire; else the typed error or the guards' reasons."""
    trigger, payload, ctx = act.trigger, act.payload, act.ctx
    if machine.can(trigger, case, payload, ctx):
        return act
    rules = rules_for(trigger, case.state)
    reasons = [reason for rule in rules for reason in guard_failures(rule, case, payload, ctx)]
    typed = [r for r in reasons if isinstance(r, CaseError)]
    if typed:
        raise typed[0]
    raise GuardFailed(f"{trigger}: {'; '.join(dict.fromkeys(str(r) for r in reasons))}")


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
