"""THE lifecycle table of a case (LIFECYCLE.md), declared once as data.

The ``transitions`` Machine, the allowed-actions lists (``allowed_actions``), the CLI help,
the Mermaid diagram in ``docs/`` and the exhaustive state × trigger tests are all built from
``RULES``. A rule whose only role is the engine is never fired by a request from outside
(``is_engine_only``); ``abort`` is fired only by an admin's ``admin_abort`` of a parked case.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic import BaseModel
from transitions import EventData, Machine

import models.case.guards as g
import models.case.payloads as p
from models.case.record import AllowedAction, CaseRecord
from models.case.states import CaseState, Role, Trigger
from models.errors import CaseError

S = CaseState
T = Trigger
R = Role


@dataclass(frozen=True)
class Rule:
    trigger: Trigger
    sources: tuple[CaseState, ...]
    dest: CaseState
    roles: tuple[Role, ...]
    guards: tuple[g.Guard, ...] = ()


_BEFORE_DECISION = (
    S.draft,
    S.triage,
    S.precheck,
    S.ready,
    S.scheduled,
    S.materials_sent,
    S.deliberating,
)

TERMINAL: frozenset[CaseState] = frozenset(
    {S.not_required, S.noted, S.rejected, S.superseded, S.closed, S.withdrawn, S.aborted}
)
_NOT_ENDED = tuple(s for s in CaseState if s not in TERMINAL)

# States in which the conditions and obligations of an approved case are tracked.
_TRACKING = (S.conditions_pending, S.active, S.attention, S.review)


def _in_place(trigger: Trigger, roles: tuple[Role, ...], *guards: g.Guard) -> tuple[Rule, ...]:
    """One rule per tracking state that keeps the case where it is (a fact is recorded)."""
    return tuple(Rule(trigger, (s,), s, roles, guards) for s in _TRACKING)


RULES: tuple[Rule, ...] = (
    Rule(T.amend, (S.draft,), S.draft, (R.department,)),
    Rule(T.submit, (S.draft,), S.triage, (R.department,), (g.document_complete,)),
    Rule(
        T.require_consultation,
        (S.triage,),
        S.precheck,
        (R.secretariat,),
        (g.consultation_warranted,),
    ),
    Rule(
        T.waive_consultation,
        (S.triage,),
        S.not_required,
        (R.secretariat,),
        (g.consultation_waivable,),
    ),
    Rule(T.return_to_department, (S.precheck,), S.draft, (R.secretariat, R.it)),
    Rule(T.pass_precheck, (S.precheck,), S.ready, (R.it, R.secretariat), (g.precheck_complete,)),
    Rule(T.schedule, (S.ready,), S.scheduled, (R.secretariat,), (g.notice_lead_time,)),
    Rule(
        T.send_materials,
        (S.scheduled,),
        S.materials_sent,
        (R.secretariat,),
        (g.materials_lead_time,),
    ),
    Rule(T.open_deliberation, (S.materials_sent,), S.deliberating, (R.chair,), (g.quorum,)),
    Rule(T.decide, (S.deliberating,), S.answer_drafting, (R.council,), (g.valid_decision,)),
    Rule(
        T.continue_deliberation,
        (S.deliberating,),
        S.scheduled,
        (R.council,),
        (g.later_session,),
    ),
    Rule(
        T.reschedule,
        (S.scheduled, S.materials_sent),
        S.scheduled,
        (R.secretariat,),
        (g.later_session,),
    ),
    Rule(T.unschedule, (S.scheduled,), S.ready, (R.secretariat,)),
    Rule(T.note_report, (S.deliberating,), S.noted, (R.council,), (g.is_report,)),
    Rule(T.convert_to_consultation, (S.deliberating,), S.precheck, (R.council,), (g.is_report,)),
    Rule(T.issue_answer, (S.answer_drafting,), S.answered, (R.chair,), (g.decided_before,)),
    Rule(
        T.apply_outcome,
        (S.answered,),
        S.conditions_pending,
        (R.engine,),
        (g.outcome_is_conditional,),
    ),
    Rule(T.apply_outcome, (S.answered,), S.active, (R.engine,), (g.outcome_is_approve,)),
    Rule(T.apply_outcome, (S.answered,), S.rejected, (R.engine,), (g.outcome_is_reject,)),
    Rule(
        T.conditions_fulfilled,
        (S.conditions_pending,),
        S.active,
        (R.secretariat,),
        (g.prestart_conditions_verified,),
    ),
    Rule(T.activate, (S.conditions_pending,), S.active, (R.engine,), (g.start_unblocked,)),
    *_in_place(T.submit_evidence, (R.department,), g.evidence_awaited),
    *_in_place(T.verify_condition, (R.secretariat,), g.evidence_submitted),
    *_in_place(T.reject_evidence, (R.secretariat,), g.evidence_submitted),
    *_in_place(T.waive_condition, (R.secretariat,), g.condition_not_closed),
    *_in_place(T.add_obligation, (R.secretariat,), g.new_obligation),
    *_in_place(T.fulfil_obligation, (R.department,), g.obligation_due),
    *_in_place(T.renew_certificate, (R.department,), g.certificate_renewal),
    *_in_place(T.report_material_change, (R.department,)),
    *_in_place(T.certificate_lapsed, (R.secretariat,), g.relies_on_certificate),
    Rule(T.open_review, (S.active,), S.review, (R.engine,), (g.review_due,)),
    Rule(T.confirm_unchanged, (S.review,), S.active, (R.department,)),
    Rule(T.flag_attention, (S.active, S.conditions_pending), S.attention, (R.engine,)),
    Rule(
        T.resolve_attention,
        (S.attention,),
        S.active,
        (R.secretariat,),
        (g.nothing_overdue, g.start_unblocked),
    ),
    Rule(
        T.resolve_attention,
        (S.attention,),
        S.conditions_pending,
        (R.secretariat,),
        (g.nothing_overdue, g.start_blocked),
    ),
    Rule(T.supersede, (S.active, S.attention, S.review), S.superseded, (R.engine,)),
    Rule(T.close, (S.active,), S.closed, (R.department,)),
    Rule(T.withdraw, _BEFORE_DECISION, S.withdrawn, (R.department,)),
    Rule(T.abort, _NOT_ENDED, S.aborted, (R.admin,), (g.step_parked,)),
)

PAYLOADS: dict[Trigger, type[BaseModel]] = {
    T.amend: p.AmendPayload,
    T.submit: p.NoPayload,
    T.require_consultation: p.RequireConsultationPayload,
    T.waive_consultation: p.Reason,
    T.return_to_department: p.ReturnPayload,
    T.pass_precheck: p.PassPrecheckPayload,
    T.schedule: p.SchedulePayload,
    T.send_materials: p.SendMaterialsPayload,
    T.open_deliberation: p.OpenDeliberationPayload,
    T.decide: p.DecidePayload,
    T.continue_deliberation: p.ContinuePayload,
    T.reschedule: p.ContinuePayload,
    T.unschedule: p.UnschedulePayload,
    T.note_report: p.NoPayload,
    T.convert_to_consultation: p.Reason,
    T.issue_answer: p.IssueAnswerPayload,
    T.apply_outcome: p.NoPayload,
    T.conditions_fulfilled: p.ConditionsFulfilledPayload,
    T.flag_attention: p.Reason,
    T.resolve_attention: p.ResolvePayload,
    T.supersede: p.SupersedePayload,
    T.close: p.ClosePayload,
    T.withdraw: p.Reason,
    T.activate: p.NoPayload,
    T.submit_evidence: p.EvidencePayload,
    T.verify_condition: p.ConditionVerdict,
    T.reject_evidence: p.ConditionReason,
    T.waive_condition: p.ConditionReason,
    T.add_obligation: p.AddObligationPayload,
    T.fulfil_obligation: p.FulfilObligationPayload,
    T.renew_certificate: p.RenewCertificatePayload,
    T.report_material_change: p.MaterialChangePayload,
    T.open_review: p.NoPayload,
    T.confirm_unchanged: p.ReviewConfirmation,
    T.certificate_lapsed: p.CertificateLapsedPayload,
    T.abort: p.Reason,
}

# Triggers the engine fires itself right after another transition, in the same update, in
# this order (a tuple: the order must not depend on hashing, the workflow replays it).
AUTOMATIC: tuple[Trigger, ...] = (T.apply_outcome, T.activate)

# Triggers an admin fires through the admin_* updates while a step is parked, never by ``act``.
REPAIRS: tuple[Trigger, ...] = (T.abort,)


def rules_for(trigger: Trigger, state: CaseState) -> list[Rule]:
    return [r for r in RULES if r.trigger is trigger and state in r.sources]


def roles_for(trigger: Trigger) -> tuple[Role, ...]:
    return next(r.roles for r in RULES if r.trigger is trigger)


def triggers_from(state: CaseState) -> list[Trigger]:
    return list(dict.fromkeys(r.trigger for r in RULES if state in r.sources))


def allowed_actions(
    state: CaseState, role: Role | None = None, *, parked: bool = False
) -> list[AllowedAction]:
    """What a person (of ``role``, or anyone) may ask for now, one entry per trigger with its
    roles and destinations: the acts from ``state``, or only the admin's repairs while a step
    is parked. Engine-only triggers are never listed."""
    by_trigger: dict[Trigger, list[Rule]] = {}
    for rule in RULES:
        if state in rule.sources:
            by_trigger.setdefault(rule.trigger, []).append(rule)
    return [
        AllowedAction(trigger=trigger, roles=list(rules[0].roles), dest=[r.dest for r in rules])
        for trigger, rules in by_trigger.items()
        if not is_engine_only(trigger)
        and (trigger in REPAIRS) is parked
        and (role is None or role in rules[0].roles)
    ]


def guard_failures(
    rule: Rule, case: CaseRecord, payload: Any, ctx: g.GuardContext
) -> list[str | CaseError]:
    return [reason for guard in rule.guards if (reason := guard(case, payload, ctx)) is not None]


def _rule_passes(rule: Rule, event: EventData) -> bool:
    return not guard_failures(
        rule, event.kwargs["case"], event.kwargs["payload"], event.kwargs["ctx"]
    )


class CaseMachine:
    """A ``transitions`` model for one case; its Machine is built from ``RULES``."""

    state: str

    def __init__(self, state: CaseState) -> None:
        self.machine = Machine(
            model=self,
            states=[s.value for s in CaseState],
            initial=state.value,
            auto_transitions=False,
            send_event=True,
        )
        for rule in RULES:
            self.machine.add_transition(
                rule.trigger.value,
                [s.value for s in rule.sources],
                rule.dest.value,
                conditions=[partial(_rule_passes, rule)],
            )

    def can(self, trigger: Trigger, case: CaseRecord, payload: Any, ctx: g.GuardContext) -> bool:
        return bool(self.may_trigger(trigger.value, case=case, payload=payload, ctx=ctx))  # type: ignore[attr-defined]

    def fire(
        self, trigger: Trigger, case: CaseRecord, payload: Any, ctx: g.GuardContext
    ) -> CaseState:
        if not self.trigger(trigger.value, case=case, payload=payload, ctx=ctx):  # type: ignore[attr-defined]
            raise RuntimeError(f"{trigger} did not fire from {self.state}")
        return CaseState(self.state)


def is_engine_only(trigger: Trigger | str) -> bool:
    """True when every rule of ``trigger`` is the engine's alone (apply_outcome, activate,
    open_review, flag_attention, supersede): no caller from outside may fire it."""
    rules = [r for r in RULES if r.trigger == trigger]
    return bool(rules) and all(r.roles == (Role.engine,) for r in rules)
