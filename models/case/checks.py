"""Checking an act against the lifecycle before anything changes (pure, no clock).

``check_act`` is what the ``act`` validator runs for a person's act; ``check_actor`` is THE rule
for who may act (the table's role, a role the signed-in account holds, its own department), used
by it, by the admin validators and by the edge before it starts a case. The acts that never come
through ``act`` have their own: ``engine_act`` for the engine's own triggers, ``check_abort``
for an admin's abort of a parked case, ``check_supersede`` for a change case superseding its
parent. Each returns the ``CheckedAct`` that ``models.case.acts.apply_act`` records, or raises the
domain error that explains the refusal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

import models.case.payloads as p
from models.case.document import ConsultationDocument
from models.case.guards import GuardContext
from models.case.lifecycle import (
    PAYLOADS,
    REPAIRS,
    CaseMachine,
    guard_failures,
    is_engine_only,
    rules_for,
    triggers_from,
)
from models.case.record import ActInput, Actor, AdminInput, CaseConfig, CaseRecord, ChangeCaseInfo
from models.case.states import Role, Trigger
from models.errors import (
    CaseError,
    CaseNotFound,
    EngineOnly,
    GuardFailed,
    InvalidPayload,
    InvalidTransition,
    NoParkedStep,
    OtherDepartment,
    RoleNotAllowed,
    describe_validation_error,
)
from models.labels import STATE_LABELS
from models.limits import (
    ACT_GROWTH_FACTOR,
    ACT_OVERHEAD_BYTES,
    CASE_RECORD_BYTES,
    in_calendar,
    json_bytes,
    kib,
)
from models.projection import SupersedeInput

ENGINE = Actor(role=Role.engine, name="toshin")


@dataclass(frozen=True)
class CheckedAct:
    trigger: Trigger
    actor: Actor
    payload: BaseModel
    ctx: GuardContext


def check_actor(actor: Actor, what: str, roles: tuple[Role, ...], department: str | None) -> None:
    """Refuse ``actor`` doing ``what`` unless its role is one of ``roles`` (the table's), the
    signed-in account holds that role, and a department acts only on ``department``'s cases
    (None: the act concerns no department's case)."""
    if actor.role not in roles:
        raise RoleNotAllowed(f"{what} is done by {' or '.join(roles)}, not {actor.role}")
    if actor.holds is None:
        raise RoleNotAllowed(
            "actor: not a signed-in account; act through the desk, the API or the CLI as a "
            "registered user"
        )
    if actor.role not in actor.holds:
        held = ", ".join(actor.holds) or "none"
        raise RoleNotAllowed(f"actor.role: the account does not hold {actor.role} (holds {held})")
    if actor.role is Role.department and department not in (None, actor.department):
        raise OtherDepartment(
            f"actor.department: a case of {department} is acted on by {department} only, "
            f"not {actor.department or 'an account without a department'}"
        )


CREATORS = (Role.department, Role.secretariat)  # who files a case (the secretariat: from paper)


def check_creator(actor: Actor, department: str) -> None:
    """Refuse starting a case of ``department`` unless ``actor`` may (``check_actor``)."""
    check_actor(actor, "creating a case", CREATORS, department)


def check_act(
    case: CaseRecord,
    config: CaseConfig,
    machine: CaseMachine,
    act: ActInput,
    today: dt.date,
    *,
    allow_engine_only: bool = False,
    verify_actor: bool = True,
) -> CheckedAct:
    """Raise the domain error that explains why ``act`` cannot happen now; else the parsed act.

    Engine-only triggers are refused whoever asks (``EngineOnly``); ``allow_engine_only`` is
    for the ``act`` handler alone, which replays histories recorded before that refusal. The
    handler passes ``verify_actor=False`` too: its validator checked the account, and acts
    recorded before accounts existed carry none."""
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
    if verify_actor:
        check_actor(act.actor, trigger, rules[0].roles, case.document.department)
    elif act.actor.role not in rules[0].roles:
        raise RoleNotAllowed(
            f"{trigger} is done by {' or '.join(rules[0].roles)}, not {act.actor.role}"
        )
    on = _act_date(case, act.on or today, today)
    try:
        payload = PAYLOADS[trigger].model_validate(act.payload)
    except ValidationError as exc:
        raise InvalidPayload(describe_validation_error(exc, "payload")) from None
    _room_for(case, payload)
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


def check_creation(
    document: ConsultationDocument, created_on: dt.date | None, today: dt.date
) -> None:
    """InvalidPayload for a creation date the case could not live with: outside the calendar,
    or after today (no act could then be dated on or after it)."""
    for field, day in (("created_on", created_on), ("document.filed_on", document.filed_on)):
        if day is None:
            continue
        try:
            in_calendar(day)
        except ValueError as exc:
            raise InvalidPayload(f"{field}: {exc}") from None
        if day > today:
            raise InvalidPayload(f"{field}: {day.isoformat()} is in the future (today is {today})")


def check_admin(case: CaseRecord, inp: AdminInput, *, verify_actor: bool = True) -> None:
    """Why an admin may not repair the case now (retry, skip, abort): no parked step, or not
    an admin (``verify_actor``: a signed-in account holding admin, as in ``check_actor``)."""
    if case.parked is None:
        raise NoParkedStep(f"case {case.case_id} has no parked step")
    if verify_actor:
        check_actor(inp.actor, "admin actions", (Role.admin,), None)
    elif inp.actor.role is not Role.admin:
        raise RoleNotAllowed(f"admin actions are done by admin, not {inp.actor.role}")


def check_abort(
    case: CaseRecord,
    config: CaseConfig,
    machine: CaseMachine,
    inp: AdminInput,
    today: dt.date,
    *,
    verify_actor: bool = True,
) -> CheckedAct:
    """Why an admin may not abort the case now; else the abort to fire (rule ``abort``)."""
    check_admin(case, inp, verify_actor=verify_actor)
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


def _room_for(case: CaseRecord, payload: BaseModel) -> None:
    """InvalidPayload when this act could take the case record past ``CASE_RECORD_BYTES``: past
    that, the case's continue-as-new input and snapshot would near Temporal's payload limit."""
    record = json_bytes(case)
    projected = record + ACT_GROWTH_FACTOR * json_bytes(payload) + ACT_OVERHEAD_BYTES
    if projected > CASE_RECORD_BYTES:
        raise InvalidPayload(
            f"payload: the case record is {kib(record)} and this act could take it past the "
            f"{kib(CASE_RECORD_BYTES)} a case may hold"
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
