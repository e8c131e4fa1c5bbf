"""What an approved case has falling due, and which reminders go out when: pure planning.

The case workflow asks this module, at every wake-up, for the reminder rungs that are due
now, the items that have just become overdue and when to wake up next. Everything is a
function of the case record, the policy and the closure table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from models.calendar.clock import instant
from models.case.record import CaseConfig, CaseRecord
from models.projection import DeadlineRow
from models.tracking.conditions import AWAITING_EVIDENCE, ConditionStatus
from models.tracking.ladder import Audience, Rung, rungs
from models.tracking.notices import DueNotice


@dataclass(frozen=True)
class DueItem:
    key: str  # stable: c2 (condition 2), o:<due key>, r1 (re-review 1)
    source: Literal["condition", "obligation", "review"]
    ref: str  # condition number, obligation id or review number
    what: str
    due_on: dt.date
    overdue: bool
    owner: str | None = None  # a condition's owner (担当), as the council's answer names it


@dataclass(frozen=True)
class Plan:
    send: list[DueNotice]  # rungs to send now (at most one catch-up per item and audience)
    skipped: list[str]  # rung keys passed over by a catch-up: never sent
    newly_overdue: list[DueItem]
    wake_at: dt.datetime | None  # the next instant something happens


def due_items(case: CaseRecord) -> list[DueItem]:
    items = [
        DueItem(
            key=f"c{c.number}",
            source="condition",
            ref=str(c.number),
            what=c.what,
            due_on=c.due_on,
            overdue=c.status is ConditionStatus.overdue,
            owner=c.condition.owner,
        )
        for c in case.conditions
        if c.status in AWAITING_EVIDENCE and c.due_on is not None
    ]
    items += [
        DueItem(
            key=f"o:{o.current.key}",
            source="obligation",
            ref=o.obligation.id,
            what=o.current.what,
            due_on=o.current.due_on,
            overdue=o.overdue,
        )
        for o in case.obligations
        if o.current is not None
    ]
    if case.review is not None:
        items.append(
            DueItem(
                key=f"r{case.review.number}",
                source="review",
                ref=str(case.review.number),
                what=f"定期再審査（第{case.review.number}回）への回答",
                due_on=case.review.due_on,
                overdue=False,
            )
        )
    return items


def case_number(case: CaseRecord) -> str:
    return case.answer.number if case.answer else case.external_ref or case.case_id


def plan(case: CaseRecord, config: CaseConfig, now: dt.datetime, today: dt.date) -> Plan:
    policy = config.policy

    def at(on: dt.date, hour: float) -> dt.datetime:
        return instant(on, hour, day_seconds=policy.day_seconds, epoch=case.clock_epoch)

    sent = set(case.sent_rungs)
    send: list[DueNotice] = []
    skipped: list[str] = []
    newly_overdue: list[DueItem] = []
    wakes: list[dt.datetime] = []
    for item in due_items(case):
        try:
            ladder: list[Rung] = rungs(item.due_on, policy.reminder_ladder, config.closures)
        except ValueError:
            ladder = []  # beyond the calendar table: no reminders rather than wrong ones
        pending = [(r, f"{case.case_id}:{item.key}:{r.key}") for r in ladder]
        pending = [(r, key) for r, key in pending if key not in sent]
        ripe = [(r, key) for r, key in pending if at(r.on, policy.reminder_hour) <= now]
        for audience in Audience:
            mine = [(r, key) for r, key in ripe if r.audience is audience]
            if not mine:
                continue
            *passed, (rung, key) = mine
            skipped += [k for _, k in passed]
            send.append(
                DueNotice(
                    key=key,
                    case_id=case.case_id,
                    case_number=case_number(case),
                    title=case.document.title,
                    department=case.document.department,
                    owner=item.owner,
                    audience=audience,
                    what=item.what,
                    due_on=item.due_on,
                    overdue=rung.on > item.due_on,
                )
            )
        wakes += [at(r.on, policy.reminder_hour) for r, key in pending if (r, key) not in ripe]
        if not item.overdue and item.source != "review":
            if item.due_on < today:
                newly_overdue.append(item)
            else:
                wakes.append(at(item.due_on + dt.timedelta(days=1), 0))
    if case.next_review_on is not None and case.review is None:
        wakes.append(at(case.next_review_on, 0))
    return Plan(
        send=send, skipped=skipped, newly_overdue=newly_overdue, wake_at=min(wakes, default=None)
    )


def mark_overdue(case: CaseRecord, items: list[DueItem]) -> None:
    """Record that ``items`` passed their due date: a condition becomes overdue, an obligation
    overdue (and its certificate lapsed when the due was the expiry)."""
    for item in items:
        if item.source == "condition":
            n = int(item.ref)
            case.conditions[n - 1] = case.conditions[n - 1].model_copy(
                update={"status": ConditionStatus.overdue}
            )
        elif item.source == "obligation":
            i, tracked = next(
                (i, o) for i, o in enumerate(case.obligations) if o.obligation.id == item.ref
            )
            lapses = tracked.current is not None and tracked.current.lapses_certificate
            case.obligations[i] = tracked.model_copy(
                update={"overdue": True, "lapsed": tracked.lapsed or lapses}
            )


def deadline_rows(case: CaseRecord) -> list[DeadlineRow]:
    """What the deadlines read model (and the department calendars) shows for the case."""
    return [DeadlineRow(key=i.key, what=i.what, due_on=i.due_on) for i in due_items(case)]
