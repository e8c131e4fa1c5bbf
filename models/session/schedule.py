"""A session's dates: its business "today" (from its clock), the due dates of the notice, the
materials and the minutes, and the next reminder the secretariat is owed. Pure functions of
the record, the calendar table and the instant."""

from __future__ import annotations

import datetime as dt

from models.calendar.clock import JST, business_today, instant
from models.calendar.jcalendar import ClosureTable
from models.session.lifecycle import FINAL_ITEMS
from models.session.record import MinutesState, SessionRecord, SessionState


def session_today(record: SessionRecord, now: dt.datetime) -> dt.date:
    """The session's business date at ``now``: JST, unless a (test) clock says otherwise."""
    clock = record.clock
    if clock is None:
        return now.astimezone(JST).date()
    return business_today(now, day_seconds=clock.day_seconds, epoch=clock.epoch)


def start_of(record: SessionRecord, on: dt.date) -> dt.datetime:
    """The instant business date ``on`` begins for the session."""
    clock = record.clock
    if clock is None:
        return dt.datetime.combine(on, dt.time(), JST)
    return instant(on, 0, day_seconds=clock.day_seconds, epoch=clock.epoch)


def due(record: SessionRecord, closures: ClosureTable, days: int) -> dt.date:
    held = record.plan.held_on
    return closures.due_date(held, days) if days else held


def notice_due(record: SessionRecord, closures: ClosureTable) -> dt.date:
    return due(record, closures, record.council.notice_lead_business_days)


def materials_due(record: SessionRecord, closures: ClosureTable) -> dt.date:
    return due(record, closures, record.council.materials_lead_business_days)


def minutes_due(record: SessionRecord, closures: ClosureTable, closed_on: dt.date) -> dt.date:
    return closures.next_business_day(
        closed_on + dt.timedelta(days=record.council.minutes_due_days)
    )


def next_reminder(
    record: SessionRecord, closures: ClosureTable
) -> tuple[dt.datetime, str, dt.date] | None:
    """The next overdue reminder: (when, what, due date), or None."""
    r = record
    candidates: list[tuple[str, dt.date]] = []
    if r.state is SessionState.planned:
        candidates.append(("notice", notice_due(r, closures)))
    if r.state in (SessionState.planned, SessionState.notice_sent):
        candidates.append(("materials", materials_due(r, closures)))
    if r.minutes in (MinutesState.drafting, MinutesState.approved) and r.minutes_due:
        candidates.append(("minutes", r.minutes_due))
    pending = [(what, on) for what, on in candidates if what not in r.reminders]
    if not pending:
        return None
    what, on = min(pending, key=lambda p: p[1])
    return start_of(r, on + dt.timedelta(days=1)), what, on


def finished(record: SessionRecord) -> bool:
    """Nothing is left to do: the workflow ends."""
    r = record
    if r.state is SessionState.failed_quorum:
        return all(i.status in FINAL_ITEMS for i in r.items)
    return (
        r.state is SessionState.closed
        and r.minutes is MinutesState.published
        and all(i.status in FINAL_ITEMS for i in r.items)
        and not r.document_failures  # stays open for `retry_documents`
    )
