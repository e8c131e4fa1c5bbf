"""THE lifecycle table of a council session, declared once as data.

One row per act (the name of the SessionWorkflow update that carries it out: never renamed,
it is in histories), its source session states (and minutes states), its destination, the
roles that may do it, the agenda-item status it needs and leaves, the case trigger it fires
on the item's case and its named pure guards (``models/session/checks.py``).

The validators' checks, ``roles_for`` (the role the CLI acts as), ``allowed_actions``, the
case-level actor of each trigger, the Mermaid diagram in ``docs/session_lifecycle.md`` and
the exhaustive state × act tests are all built from ``RULES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import models.case.lifecycle as case_lifecycle
import models.session.guards as g
from models.case.states import Role, Trigger
from models.errors import CaseError
from models.session.record import (
    ItemOutcome,
    ItemStatus,
    MinutesState,
    SessionAllowedAction,
    SessionRecord,
    SessionState,
)


class Act(StrEnum):
    """A session act: the name of the update handler that carries it out."""

    add_items = "add_items"
    remove_item = "remove_item"
    receive_item = "receive_item"
    send_notice = "send_notice"
    send_materials = "send_materials"
    open_session = "open_session"
    carry_over = "carry_over"
    open_item = "open_item"
    record_qa = "record_qa"
    decide_item = "decide_item"
    issue_answer = "issue_answer"
    close_session = "close_session"
    redact = "redact"
    approve_minutes = "approve_minutes"
    publish_minutes = "publish_minutes"
    replace_closures = "replace_closures"
    retry_documents = "retry_documents"


SessionGuard = Callable[[SessionRecord, Any, g.SessionContext], CaseError | None]


@dataclass(frozen=True)
class ItemStep:
    """What an act does to agenda items: the status it needs and the status it leaves.

    ``each``: the act goes over every item in ``needs`` (or adds new ones when ``needs`` is
    empty) instead of acting on the one named by ``case_id``. ``on_park``: the status the
    item takes when the case accepted the trigger but a case step after it parked.
    ``leaves``: the item leaves the agenda (its case is no longer this session's)."""

    needs: tuple[ItemStatus, ...]
    after: ItemStatus | None  # None: the status stays
    each: bool = False
    on_park: ItemStatus | None = None
    leaves: bool = False


@dataclass(frozen=True)
class SessionRule:
    act: Act
    sources: tuple[SessionState, ...]
    dest: SessionState | None  # None: the session stays in its state
    roles: tuple[Role, ...]  # the first is the role the CLI acts as
    minutes: tuple[MinutesState, ...] | None = None  # None: whatever the minutes are
    minutes_after: MinutesState | None = None
    item: ItemStep | None = None
    case_trigger: Trigger | None = None
    outcomes: tuple[ItemOutcome, ...] = ()  # decide_item: the decisions this row carries out
    guards: tuple[SessionGuard, ...] = ()
    reads_case: bool = False  # completes an item from the case's own record

    def dest_from(self, state: SessionState) -> SessionState:
        return self.dest if self.dest is not None else state


A, S, IS, M, R, T = Act, SessionState, ItemStatus, MinutesState, Role, Trigger
OUT = ItemOutcome
_BEFORE = (S.planned, S.notice_sent)  # the agenda is still open
_EVERY = tuple(SessionState)
_DECIDED_BY_VOTE = (OUT.approve, OUT.approve_with_conditions, OUT.reject)


def _decision(
    dest: ItemStatus, trigger: Trigger, outcomes: tuple[ItemOutcome, ...], *guards: SessionGuard
) -> SessionRule:
    """A row of the council's decision on an item: one per kind of outcome."""
    return SessionRule(
        A.decide_item,
        (S.opened,),
        None,
        (R.council, R.chair),
        item=ItemStep((IS.deliberating,), dest),
        case_trigger=trigger,
        outcomes=outcomes,
        guards=(g.votes_valid, *guards),
    )


RULES: tuple[SessionRule, ...] = (
    SessionRule(
        A.add_items,
        _BEFORE,
        None,
        (R.secretariat,),
        item=ItemStep((), IS.on_agenda, each=True),
        case_trigger=T.schedule,
        guards=(g.not_yet_on_agenda,),
    ),
    SessionRule(
        A.remove_item,
        _BEFORE,
        None,
        (R.secretariat,),
        item=ItemStep((IS.on_agenda,), None, leaves=True),
        case_trigger=T.unschedule,
    ),
    SessionRule(
        A.receive_item,
        _BEFORE,
        None,
        (R.engine,),
        item=ItemStep((), IS.on_agenda, each=True),
    ),
    SessionRule(A.send_notice, (S.planned,), S.notice_sent, (R.secretariat,)),
    SessionRule(
        A.send_materials,
        (S.notice_sent,),
        S.materials_sent,
        (R.secretariat,),
        item=ItemStep((IS.on_agenda,), None, each=True),
        case_trigger=T.send_materials,
        guards=(g.agenda_not_empty,),
    ),
    SessionRule(
        A.open_session,
        (S.materials_sent,),
        S.opened,
        (R.secretariat, R.chair),
        guards=(g.on_session_day, g.attendance_of_members, g.quorate),
    ),
    SessionRule(
        A.open_session,
        (S.materials_sent,),
        S.failed_quorum,
        (R.secretariat, R.chair),
        guards=(g.on_session_day, g.attendance_of_members, g.not_quorate),
    ),
    SessionRule(
        A.carry_over,
        (S.failed_quorum,),
        None,
        (R.secretariat,),
        item=ItemStep((IS.on_agenda,), IS.carried_over, each=True),
        case_trigger=T.reschedule,
        guards=(g.next_session_later,),
    ),
    SessionRule(
        A.open_item,
        (S.opened,),
        None,
        (R.chair,),
        item=ItemStep((IS.on_agenda,), IS.deliberating),
        case_trigger=T.open_deliberation,
    ),
    SessionRule(
        A.record_qa,
        (S.opened,),
        None,
        (R.secretariat, R.chair),
        item=ItemStep((IS.deliberating,), None),
    ),
    _decision(IS.decided, T.decide, _DECIDED_BY_VOTE),
    _decision(IS.continued, T.continue_deliberation, (OUT.continue_,), g.next_session_later),
    _decision(IS.noted, T.note_report, (OUT.noted,)),
    _decision(IS.converted, T.convert_to_consultation, (OUT.convert,)),
    SessionRule(
        A.issue_answer,
        (S.opened, S.closed),
        None,
        (R.chair,),
        item=ItemStep((IS.decided,), IS.answered, on_park=IS.answer_pending),
        case_trigger=T.issue_answer,
    ),
    SessionRule(
        A.issue_answer,
        (S.opened, S.closed),
        None,
        (R.chair,),
        item=ItemStep((IS.answer_pending,), IS.answered),
        reads_case=True,
    ),
    SessionRule(
        A.close_session,
        (S.opened,),
        S.closed,
        (R.secretariat, R.chair),
        minutes_after=M.drafting,
        guards=(g.nothing_undecided,),
    ),
    SessionRule(A.redact, (S.closed,), None, (R.secretariat,), minutes=(M.drafting,)),
    SessionRule(
        A.approve_minutes,
        (S.closed,),
        None,
        (R.chair,),
        minutes=(M.drafting,),
        minutes_after=M.approved,
    ),
    SessionRule(
        A.publish_minutes,
        (S.closed,),
        None,
        (R.secretariat,),
        minutes=(M.approved,),
        minutes_after=M.published,
    ),
    SessionRule(
        A.replace_closures,
        _EVERY,
        None,
        (R.secretariat, R.admin),
        guards=(g.closures_cover_session,),
    ),
    SessionRule(
        A.retry_documents,
        (S.closed,),
        None,
        (R.secretariat, R.admin),
        minutes=(M.approved, M.published),  # documents are made when the chair approves
        guards=(g.documents_failed,),
    ),
)

# Acts nobody asks for: another session's workflow sends them (refused to anyone else).
ENGINE_ONLY: frozenset[Act] = frozenset(r.act for r in RULES if r.roles == (R.engine,))

# Labels (states, item statuses, acts) live in models.labels, the one label table.

# The item statuses in which nothing more is done to an item.
FINAL_ITEMS: tuple[ItemStatus, ...] = (
    IS.answered,
    IS.continued,
    IS.noted,
    IS.converted,
    IS.carried_over,
)


def rules_of(act: Act) -> list[SessionRule]:
    return [r for r in RULES if r.act is act]


def roles_for(act: Act | str) -> tuple[Role, ...]:
    """The roles that may do ``act``; the first is the one the CLI acts as."""
    return rules_of(Act(act))[0].roles


def case_role(trigger: Trigger) -> Role:
    """The role a session acts as on its case for ``trigger`` (the case table's own role)."""
    return case_lifecycle.roles_for(trigger)[0]


def rules_from(state: SessionState, minutes: MinutesState | None = None) -> list[SessionRule]:
    return [r for r in RULES if state in r.sources and (r.minutes is None or minutes in r.minutes)]


def is_engine_only(act: Act | str) -> bool:
    return Act(act) in ENGINE_ONLY


def allowed_actions(
    state: SessionState, role: Role | None = None, *, minutes: MinutesState | None = None
) -> list[SessionAllowedAction]:
    """The acts a person in ``role`` (anyone when None) may do now, in table order; acts only
    the engine does are never listed."""
    by_act: dict[Act, list[SessionRule]] = {}
    for rule in rules_from(state, minutes):
        if rule.act in ENGINE_ONLY or (role is not None and role not in rule.roles):
            continue
        by_act.setdefault(rule.act, []).append(rule)
    return [
        SessionAllowedAction(
            act=act.value,
            roles=list(rules[0].roles),
            dest=list(dict.fromkeys(r.dest_from(state) for r in rules)),
        )
        for act, rules in by_act.items()
    ]
