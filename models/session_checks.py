"""The pure checks behind every session act: each raises the domain error that explains why
the act cannot happen now (the validator rejects it, nothing changes), or returns the agenda
item the act is about."""

from __future__ import annotations

import datetime as dt
from typing import Any

from models.case import Actor
from models.errors import GuardFailed, InvalidPayload, InvalidTransition, RoleNotAllowed
from models.payloads import SessionRef
from models.session import (
    AddItems,
    AgendaItem,
    Attendance,
    CarryIn,
    CarryOver,
    DecideItem,
    IssueAnswer,
    ItemAct,
    ItemOutcome,
    ItemStatus,
    MinutesState,
    OpenSession,
    RecordQA,
    Redact,
    ReplaceClosures,
    SessionAct,
    SessionRecord,
    SessionState,
)
from models.states import Role


def need_role(actor: Actor, roles: tuple[Role, ...], what: str) -> None:
    if actor.role not in roles:
        raise RoleNotAllowed(f"{what} is done by {' or '.join(roles)}, not {actor.role}")


def need_state(record: SessionRecord, states: tuple[SessionState, ...], what: str) -> None:
    if record.state not in states:
        raise InvalidTransition(
            f"{what} is not allowed while the session is {record.state} "
            f"(needs {' or '.join(states)})"
        )


def need_item(record: SessionRecord, case_id: str, statuses: tuple[ItemStatus, ...]) -> AgendaItem:
    item = record.item(case_id)
    if item is None:
        raise InvalidPayload(f"case_id: case {case_id} is not on this session's agenda")
    if item.status not in statuses:
        raise InvalidTransition(
            f"item {case_id} is {item.status}; this needs {' or '.join(statuses)}"
        )
    return item


def check_attendance(record: SessionRecord, attendance: Attendance) -> None:
    unknown = [m for m in attendance.present if record.council.member(m) is None]
    if unknown:
        raise InvalidPayload(f"attendance.present: not members of this council: {unknown}")
    if len(set(attendance.present)) != len(attendance.present):
        raise InvalidPayload("attendance.present: a member is listed twice")
    out_of_term = [
        m
        for m in attendance.present
        if not record.council.member(m).serves_on(record.plan.held_on)  # type: ignore[union-attr]
    ]
    if out_of_term:
        raise InvalidPayload(
            f"attendance.present: not serving on {record.plan.held_on}: {out_of_term}"
        )


def present_voters(record: SessionRecord) -> int:
    assert record.attendance is not None
    return record.council.voting_present(record.attendance.present)


def check_votes(record: SessionRecord, decide: DecideItem) -> None:
    present = present_voters(record)
    if decide.outcome in (ItemOutcome.continue_, ItemOutcome.noted, ItemOutcome.convert):
        if decide.votes is None:
            return
    elif decide.votes is None:
        raise InvalidPayload("votes: required for approve / approve_with_conditions / reject")
    assert decide.votes is not None
    if decide.votes.chair_casting is not None and not record.council.chair_breaks_ties:
        raise InvalidPayload("votes.chair_casting: this council's chair does not break ties")
    cast = decide.votes.yes + decide.votes.no + decide.votes.abstain
    if cast > present:
        raise GuardFailed(f"votes cast ({cast}) exceed members present ({present})")
    if decide.outcome is ItemOutcome.approve_with_conditions and not decide.conditions:
        raise GuardFailed("approve_with_conditions needs at least one condition")


def act_date(inp: SessionAct, today: dt.date) -> dt.date:
    on = inp.on or today
    if on > today:
        raise InvalidPayload(f"on: {on} is in the future")
    return on


def check_next(r: SessionRecord, ref: SessionRef) -> None:
    if ref.session_id == r.plan.session_id or ref.held_on < r.plan.held_on:
        raise InvalidPayload("next_session: must be another session, not an earlier one")


def check_receive(r: SessionRecord, inp: CarryIn, today: dt.date) -> None:
    need_state(r, (SessionState.planned, SessionState.notice_sent), "receive_item")


def check_add(r: SessionRecord, inp: AddItems, today: dt.date) -> None:
    need_role(inp.actor, (Role.secretariat,), "add_items")
    need_state(r, (SessionState.planned, SessionState.notice_sent), "add_items")
    twice = [c for c in inp.case_ids if r.item(c) is not None]
    if twice or len(set(inp.case_ids)) != len(inp.case_ids):
        raise InvalidPayload(f"case_ids: already on the agenda or listed twice: {twice}")


def check_notice(r: SessionRecord, inp: SessionAct, today: dt.date) -> None:
    need_role(inp.actor, (Role.secretariat,), "send_notice")
    need_state(r, (SessionState.planned,), "send_notice")
    act_date(inp, today)


def check_materials(r: SessionRecord, inp: SessionAct, today: dt.date) -> None:
    need_role(inp.actor, (Role.secretariat,), "send_materials")
    need_state(r, (SessionState.notice_sent,), "send_materials")
    if not r.items:
        raise GuardFailed("the agenda is empty")
    act_date(inp, today)


def check_open(r: SessionRecord, inp: OpenSession, today: dt.date) -> None:
    need_role(inp.actor, (Role.secretariat, Role.chair), "open_session")
    need_state(r, (SessionState.materials_sent,), "open_session")
    if act_date(inp, today) != r.plan.held_on:
        raise GuardFailed(f"the session is held on {r.plan.held_on}")
    check_attendance(r, inp.attendance)


def check_carry(r: SessionRecord, inp: CarryOver, today: dt.date) -> None:
    need_role(inp.actor, (Role.secretariat,), "carry_over")
    need_state(r, (SessionState.failed_quorum,), "carry_over")
    check_next(r, inp.next_session)


def check_open_item(r: SessionRecord, inp: ItemAct, today: dt.date) -> AgendaItem:
    need_role(inp.actor, (Role.chair,), "open_item")
    need_state(r, (SessionState.opened,), "open_item")
    return need_item(r, inp.case_id, (ItemStatus.on_agenda,))


def check_qa(r: SessionRecord, inp: RecordQA, today: dt.date) -> AgendaItem:
    need_role(inp.actor, (Role.secretariat, Role.chair), "record_qa")
    need_state(r, (SessionState.opened,), "record_qa")
    return need_item(r, inp.case_id, (ItemStatus.deliberating,))


def check_decide(r: SessionRecord, inp: DecideItem, today: dt.date) -> AgendaItem:
    need_role(inp.actor, (Role.council, Role.chair), "decide_item")
    need_state(r, (SessionState.opened,), "decide_item")
    item = need_item(r, inp.case_id, (ItemStatus.deliberating,))
    check_votes(r, inp)
    if inp.next_session is not None:
        check_next(r, inp.next_session)
    return item


def check_answer(r: SessionRecord, inp: IssueAnswer, today: dt.date) -> AgendaItem:
    need_role(inp.actor, (Role.chair,), "issue_answer")
    need_state(r, (SessionState.opened, SessionState.closed), "issue_answer")
    return need_item(r, inp.case_id, (ItemStatus.decided,))


def check_close(r: SessionRecord, inp: SessionAct, today: dt.date) -> None:
    need_role(inp.actor, (Role.secretariat, Role.chair), "close_session")
    need_state(r, (SessionState.opened,), "close_session")
    open_items = [
        i.case_id for i in r.items if i.status in (ItemStatus.on_agenda, ItemStatus.deliberating)
    ]
    if open_items:
        raise GuardFailed(f"items not yet decided: {open_items}")
    act_date(inp, today)


def check_redact(r: SessionRecord, inp: Redact, today: dt.date) -> None:
    need_role(inp.actor, (Role.secretariat,), "redact")
    if r.minutes is not MinutesState.drafting:
        raise GuardFailed(f"the minutes are {r.minutes}, not drafting")


def check_approve_minutes(r: SessionRecord, inp: SessionAct, today: dt.date) -> None:
    need_role(inp.actor, (Role.chair,), "approve_minutes")
    if r.minutes is not MinutesState.drafting:
        raise GuardFailed(f"the minutes are {r.minutes}, not drafting")


def check_publish(r: SessionRecord, inp: SessionAct, today: dt.date) -> None:
    need_role(inp.actor, (Role.secretariat,), "publish_minutes")
    if r.minutes is not MinutesState.approved:
        raise GuardFailed(f"the minutes are {r.minutes}, not approved")
    act_date(inp, today)


def case_act_for(inp: DecideItem) -> tuple[str, dict[str, Any], ItemStatus]:
    """The case trigger and payload that carry out a session decision, and the item's status."""
    o = ItemOutcome
    if inp.outcome is o.continue_:
        carry = {"reason": inp.reason, "next_session": inp.next_session}
        return "continue_deliberation", carry, ItemStatus.continued
    if inp.outcome is o.noted:
        return "note_report", {}, ItemStatus.noted
    if inp.outcome is o.convert:
        return "convert_to_consultation", {"reason": inp.reason}, ItemStatus.converted
    payload: dict[str, Any] = {
        "outcome": inp.outcome.value,
        "votes": inp.votes,
        "conditions": inp.conditions,
        "opinions": inp.opinions,
        "action_items": inp.action_items,
        "summary": inp.summary,
    }
    return "decide", payload, ItemStatus.decided


def check_replace_closures(r: SessionRecord, inp: ReplaceClosures, today: dt.date) -> None:
    need_role(inp.actor, (Role.secretariat, Role.admin), "replace_closures")
    if not inp.closures.covers_from <= r.plan.held_on <= inp.closures.covers_to:
        raise InvalidPayload(f"closures: the table does not cover the session on {r.plan.held_on}")


def check_retry_documents(r: SessionRecord, inp: SessionAct, today: dt.date) -> None:
    need_role(inp.actor, (Role.secretariat, Role.admin), "retry_documents")
    if not r.document_failures:
        raise GuardFailed("the session has no failed document to retry")
