"""Check and apply a session act from THE table (models/session/lifecycle.py).

``check`` raises the typed domain error that explains why the act cannot happen now (the
validator rejects it, nothing changes), in this order: role, session state, minutes state,
agenda item, the act's date, the row's guards. ``apply`` writes an accepted act into the
record: the row's destination, minutes state and item status, and the act's own facts.
Both are pure; the workflow runs the case triggers and activities in between.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from models.calendar.jcalendar import ClosureTable
from models.case.checks import check_actor
from models.case.states import Role
from models.errors import CaseError, GuardFailed, InvalidPayload, InvalidTransition, RoleNotAllowed
from models.session.council import QuorumRule
from models.session.guards import (
    SessionContext,
    act_date,
    check_attendance,
    check_votes,
)
from models.session.lifecycle import Act, SessionRule, rules_of
from models.session.record import (
    ActLine,
    AgendaItem,
    AnswerDraft,
    CarryIn,
    CaseStepParked,
    DecideItem,
    ItemOutcome,
    SessionAct,
    SessionRecord,
    SessionState,
    SessionWarning,
)
from models.session.schedule import materials_due, minutes_due, notice_due

__all__ = [
    "CheckedAct",
    "SessionContext",
    "apply",
    "check",
    "check_attendance",
    "check_decide",
    "check_votes",
]


@dataclass(frozen=True)
class CheckedAct:
    """An act the table allows now: the row that carries it out and its business date."""

    rule: SessionRule
    on: dt.date | None  # None for what another workflow sends (receive_item)
    case_id: str | None = None  # the item acted on, for item acts

    @property
    def act(self) -> Act:
        return self.rule.act


def _role(inp: Any) -> Role:
    actor = getattr(inp, "actor", None)
    return Role.engine if actor is None else Role(actor.role)


def check(
    record: SessionRecord, act: Act, inp: Any, ctx: SessionContext, *, verify_actor: bool = False
) -> CheckedAct:
    """The row of ``RULES`` that carries out ``act`` now, or the typed error saying why not.
    The validators pass ``verify_actor``: the actor is a signed-in account holding the role
    (``models.case.checks.check_actor``); handlers replay acts recorded before accounts."""
    rules = rules_of(act)
    role = _role(inp)
    actor = getattr(inp, "actor", None)
    if verify_actor and actor is not None:
        check_actor(actor, act, rules[0].roles, None)
    elif role not in rules[0].roles:
        raise RoleNotAllowed(f"{act} is done by {' or '.join(rules[0].roles)}, not {role}")
    candidates = [r for r in rules if record.state in r.sources]
    if not candidates:
        needs = dict.fromkeys(s for r in rules for s in r.sources)
        raise InvalidTransition(
            f"{act} is not allowed while the session is {record.state} (needs {' or '.join(needs)})"
        )
    minutes_ok = [r for r in candidates if r.minutes is None or record.minutes in r.minutes]
    if not minutes_ok:
        minutes = dict.fromkeys(m for r in candidates for m in r.minutes or ())
        raise GuardFailed(f"the minutes are {record.minutes}, not {' or '.join(minutes)}")
    candidates = minutes_ok
    case_id: str | None = None
    item_rules = [r for r in candidates if r.item is not None and not r.item.each]
    if item_rules:
        case_id = inp.case_id
        item = record.item(inp.case_id)
        if item is None:
            raise InvalidPayload(f"case_id: case {inp.case_id} is not on this session's agenda")
        steps = {id(r): r.item for r in item_rules if r.item is not None}
        candidates = [r for r in item_rules if item.status in steps[id(r)].needs]
        if not candidates:
            statuses = dict.fromkeys(s for step in steps.values() for s in step.needs)
            raise InvalidTransition(
                f"item {inp.case_id} is {item.status}; this needs {' or '.join(statuses)}"
            )
    if isinstance(inp, DecideItem):
        candidates = [r for r in candidates if inp.outcome in r.outcomes]
    on = act_date(inp, ctx.today) if isinstance(inp, SessionAct) else None
    first: CaseError | None = None
    for rule in candidates:
        failures = [e for guard in rule.guards if (e := guard(record, inp, ctx)) is not None]
        if not failures:
            return CheckedAct(rule=rule, on=on, case_id=case_id)
        first = first or failures[0]
    assert first is not None, f"no row of {act} for {inp!r}"
    raise first


def check_decide(record: SessionRecord, inp: DecideItem, today: dt.date) -> AgendaItem:
    """The item a decision is about, or the error saying why it cannot be decided now."""
    checked = check(record, Act.decide_item, inp, SessionContext(today=today))
    item = record.item(inp.case_id)
    assert item is not None and checked.case_id == inp.case_id
    return item


# -- apply ------------------------------------------------------------------------------


def warn(record: SessionRecord, code: str, message: str) -> None:
    record.warnings.append(SessionWarning(code=code, message=message))


def warn_ex_post(record: SessionRecord, case_id: str, messages: list[str]) -> None:
    """Pass on the case's 事後諮問 warnings (the case starts before its answer)."""
    for message in messages:
        if message.startswith("事後諮問"):
            warn(record, "ex_post", f"{case_id}: {message}")


def materials_late(record: SessionRecord, closures: ClosureTable, on: dt.date) -> str | None:
    """The reason the cases record when the materials go out after their due date."""
    due = materials_due(record, closures)
    return f"資料送付が遅延 (期限 {due})" if on > due else None


def case_payload(record: SessionRecord, checked: CheckedAct, inp: Any) -> dict[str, Any]:
    """The payload of the case trigger a row fires for one item (not for issue_answer,
    whose payload carries the number the council hands out)."""
    trigger = checked.rule.case_trigger
    if checked.act is Act.add_items:
        return {"session": record.ref}
    if checked.act is Act.carry_over:
        return {"reason": inp.reason, "next_session": inp.next_session}
    if checked.act is Act.remove_item:
        return {"reason": inp.reason}
    if checked.act is Act.open_item:
        assert record.attendance is not None
        return {
            "seats": record.council.seats,
            "present": record.council.voting_present(record.attendance.present),
            "half_is_quorum": record.council.quorum is QuorumRule.half_of_seats,
        }
    if checked.act is Act.decide_item:
        if inp.outcome is ItemOutcome.continue_:
            return {"reason": inp.reason, "next_session": inp.next_session}
        if inp.outcome is ItemOutcome.convert:
            return {"reason": inp.reason}
        if inp.outcome is ItemOutcome.noted:
            return {}
        return {
            "outcome": inp.outcome.value,
            "votes": inp.votes,
            "conditions": inp.conditions,
            "opinions": inp.opinions,
            "action_items": inp.action_items,
            "summary": inp.summary,
        }
    raise AssertionError(f"{checked.act} fires {trigger} with its own payload")


def add_item(record: SessionRecord, case_id: str, title: str, category: Any) -> None:
    """A case the agenda took (its case accepted `schedule`)."""
    record.items.append(AgendaItem(case_id=case_id, title=title, category=category))


def carry_item(record: SessionRecord, checked: CheckedAct, case_id: str, next_id: str) -> None:
    """One item of a failed session, rescheduled to the next session."""
    item = record.item(case_id)
    step = checked.rule.item
    assert item is not None and step is not None and step.after is not None
    item.status = step.after
    item.next_session = next_id


def apply(
    record: SessionRecord,
    checked: CheckedAct,
    inp: Any,
    closures: ClosureTable,
    *,
    number: str | None = None,
    parked: CaseStepParked | None = None,
) -> None:
    """Write an accepted act into ``record`` (after its case triggers ran)."""
    rule = checked.rule
    _FACTS[rule.act](record, checked, inp, closures, number)
    if rule.dest is not None:
        record.state = rule.dest
    if rule.minutes_after is not None:
        record.minutes = rule.minutes_after
    if checked.case_id is not None and rule.item is not None:
        item = record.item(checked.case_id)
        assert item is not None
        if rule.item.leaves:
            record.items.remove(item)
        after = rule.item.on_park if parked is not None and rule.item.on_park else rule.item.after
        if after is not None:
            item.status = after
        if rule.case_trigger is not None or rule.reads_case:
            item.parked = parked  # the case's last answer: a step parked, or all ran
    record.version += 1
    record.acts.append(
        ActLine(version=record.version, act=rule.act.value, state=record.state, on=checked.on)
    )


def _none(r: SessionRecord, c: CheckedAct, inp: Any, cl: ClosureTable, n: str | None) -> None:
    return None


def _receive(r: SessionRecord, c: CheckedAct, inp: CarryIn, cl: ClosureTable, n: Any) -> None:
    if r.item(inp.case_id) is None:
        r.items.append(
            AgendaItem(
                case_id=inp.case_id,
                title=inp.title,
                category=inp.category,
                carried_from=inp.from_session,
            )
        )


def _notice(r: SessionRecord, c: CheckedAct, inp: Any, cl: ClosureTable, n: Any) -> None:
    assert c.on is not None
    r.notice_sent_on = c.on
    due = notice_due(r, cl)
    if c.on > due:
        warn(r, "notice_late", f"notice sent {c.on}, due {due}")


def _materials(r: SessionRecord, c: CheckedAct, inp: Any, cl: ClosureTable, n: Any) -> None:
    assert c.on is not None
    r.materials_sent_on = c.on
    late = materials_late(r, cl, c.on)
    if late:
        warn(r, "materials_late", late)


def _open(r: SessionRecord, c: CheckedAct, inp: Any, cl: ClosureTable, n: Any) -> None:
    r.attendance = inp.attendance
    if c.rule.dest is SessionState.failed_quorum:
        present = r.council.voting_present(inp.attendance.present)
        warn(
            r,
            "failed_quorum",
            f"{present} of {r.council.seats} present: no quorum; carry the "
            "agenda over to the next session",
        )


def _qa(r: SessionRecord, c: CheckedAct, inp: Any, cl: ClosureTable, n: Any) -> None:
    item = r.item(inp.case_id)
    assert item is not None
    item.qa.append(inp.qa)


def _decide(r: SessionRecord, c: CheckedAct, inp: DecideItem, cl: ClosureTable, n: Any) -> None:
    item = r.item(inp.case_id)
    assert item is not None
    item.outcome = inp.outcome
    item.votes = inp.votes
    item.conditions = inp.conditions
    item.opinions = inp.opinions
    item.action_items = inp.action_items
    item.summary = inp.summary or inp.reason
    if inp.outcome is ItemOutcome.continue_:
        assert inp.next_session is not None
        item.next_session = inp.next_session.session_id


def _answer(r: SessionRecord, c: CheckedAct, inp: Any, cl: ClosureTable, n: str | None) -> None:
    item = r.item(inp.case_id)
    assert item is not None and c.on is not None
    if c.rule.reads_case and item.answer is not None:
        return  # completed: the answer was drafted when the number was taken
    assert n is not None, "issue_answer applies with the number the council handed out"
    item.answer = AnswerDraft(
        number=n,
        conclusion=inp.conclusion,
        explanation_summary=inp.explanation_summary,
        reasons=inp.reasons,
        conditions=item.conditions,
        opinions=item.opinions,
        approved_by=inp.approved_by,
        issued_on=c.on,
    )


def _close(r: SessionRecord, c: CheckedAct, inp: Any, cl: ClosureTable, n: Any) -> None:
    assert c.on is not None
    r.closed_on = c.on
    r.minutes_due = minutes_due(r, cl, c.on)


def _redact(r: SessionRecord, c: CheckedAct, inp: Any, cl: ClosureTable, n: Any) -> None:
    r.redactions.append(inp.redaction)


def _publish(r: SessionRecord, c: CheckedAct, inp: Any, cl: ClosureTable, n: Any) -> None:
    assert c.on is not None
    if r.minutes_due is not None and c.on > r.minutes_due:
        warn(r, "minutes_late", f"minutes published {c.on}, due {r.minutes_due}")


def _retry(r: SessionRecord, c: CheckedAct, inp: Any, cl: ClosureTable, n: Any) -> None:
    r.document_failures = []


_FACTS = {
    Act.add_items: _none,
    Act.remove_item: _none,
    Act.receive_item: _receive,
    Act.send_notice: _notice,
    Act.send_materials: _materials,
    Act.open_session: _open,
    Act.carry_over: _none,
    Act.open_item: _none,
    Act.record_qa: _qa,
    Act.decide_item: _decide,
    Act.issue_answer: _answer,
    Act.close_session: _close,
    Act.redact: _redact,
    Act.approve_minutes: _none,
    Act.publish_minutes: _publish,
    Act.replace_closures: _none,
    Act.retry_documents: _retry,
}
