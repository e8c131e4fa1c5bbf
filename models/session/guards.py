"""The named pure guards of the session table (models/session/lifecycle.py).

A guard reads the session record, the act's input and the context (the act's date, the
calendar table) and returns the typed domain error that says why the act cannot happen,
or None. No effects: the workflow acts after the check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from models.case.payloads import SessionRef
from models.errors import CaseError, GuardFailed, InvalidPayload
from models.session.record import (
    AddItems,
    Attendance,
    DecideItem,
    ItemOutcome,
    ItemStatus,
    SessionAct,
    SessionRecord,
)


@dataclass(frozen=True)
class SessionContext:
    """What a check may read besides the record and the input."""

    today: dt.date  # the session's business date (see SessionClock)


def act_date(inp: SessionAct, today: dt.date) -> dt.date:
    on = inp.on or today
    if on > today:
        raise InvalidPayload(f"on: {on} is in the future")
    return on


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


def check_next(r: SessionRecord, ref: SessionRef) -> None:
    if ref.session_id == r.plan.session_id or ref.held_on < r.plan.held_on:
        raise InvalidPayload("next_session: must be another session, not an earlier one")


def _caught(check: Any, *args: Any) -> CaseError | None:
    try:
        check(*args)
    except CaseError as err:
        return err
    return None


# -- the guards the table names ---------------------------------------------------------


def not_yet_on_agenda(r: SessionRecord, inp: AddItems, ctx: SessionContext) -> CaseError | None:
    twice = [
        c for n, c in enumerate(inp.case_ids) if r.item(c) is not None or c in inp.case_ids[:n]
    ]
    if twice:
        return InvalidPayload(f"case_ids: already on the agenda or listed twice: {twice}")
    return None


def agenda_not_empty(r: SessionRecord, inp: Any, ctx: SessionContext) -> CaseError | None:
    return None if r.items else GuardFailed("the agenda is empty")


def on_session_day(r: SessionRecord, inp: SessionAct, ctx: SessionContext) -> CaseError | None:
    if (inp.on or ctx.today) != r.plan.held_on:
        return GuardFailed(f"the session is held on {r.plan.held_on}")
    return None


def attendance_of_members(r: SessionRecord, inp: Any, ctx: SessionContext) -> CaseError | None:
    return _caught(check_attendance, r, inp.attendance)


def quorate(r: SessionRecord, inp: Any, ctx: SessionContext) -> CaseError | None:
    present = r.council.voting_present(inp.attendance.present)
    if r.council.quorate(present):
        return None
    return GuardFailed(f"{present} of {r.council.seats} present: no quorum")


def not_quorate(r: SessionRecord, inp: Any, ctx: SessionContext) -> CaseError | None:
    present = r.council.voting_present(inp.attendance.present)
    if not r.council.quorate(present):
        return None
    return GuardFailed(f"{present} of {r.council.seats} present: quorate")


def next_session_later(r: SessionRecord, inp: Any, ctx: SessionContext) -> CaseError | None:
    ref: SessionRef | None = getattr(inp, "next_session", None)
    return None if ref is None else _caught(check_next, r, ref)


def votes_valid(r: SessionRecord, inp: DecideItem, ctx: SessionContext) -> CaseError | None:
    return _caught(check_votes, r, inp)


def nothing_undecided(r: SessionRecord, inp: Any, ctx: SessionContext) -> CaseError | None:
    open_items = [
        i.case_id for i in r.items if i.status in (ItemStatus.on_agenda, ItemStatus.deliberating)
    ]
    return GuardFailed(f"items not yet decided: {open_items}") if open_items else None


def closures_cover_session(r: SessionRecord, inp: Any, ctx: SessionContext) -> CaseError | None:
    if inp.closures.covers_from <= r.plan.held_on <= inp.closures.covers_to:
        return None
    return InvalidPayload(f"closures: the table does not cover the session on {r.plan.held_on}")


def documents_failed(r: SessionRecord, inp: Any, ctx: SessionContext) -> CaseError | None:
    if r.document_failures:
        return None
    return GuardFailed("the session has no failed document to retry")
