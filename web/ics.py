"""A department's deadlines as an iCalendar feed (RFC 5545): one all-day event per deadline.

Pure and deterministic: the same rows give the same bytes (events sorted, DTSTAMP taken from
the data, never from the clock), so calendar clients see no change where there is none. No
personal data: case number, title, what is due, when, and a link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Protocol

from icalendar import Calendar, Event

from models.tracking.reminders import case_link

PRODID = "-//toshin//department deadlines//JA"


class FeedRow(Protocol):
    """What the feed needs of a deadline (``persistence.tables.CaseDeadlineRow`` has it)."""

    @property
    def case_id(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def case_number(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def what(self) -> str: ...
    @property
    def due_on(self) -> dt.date: ...


def event_uid(case_id: str, key: str) -> str:
    """Stable across projections and feeds: the same deadline keeps its event."""
    return f"{hashlib.sha256(f'{case_id}/{key}'.encode()).hexdigest()[:32]}@toshin"


def calendar_name(municipality: str, department: str) -> str:
    return f"{municipality} {department} 期限"


def build_feed(
    rows: Sequence[FeedRow], *, municipality: str, department: str, link_base: str
) -> bytes:
    """The feed of ``rows`` for one department."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", calendar_name(municipality, department))
    cal.add("x-wr-timezone", "Asia/Tokyo")
    for row in sorted(rows, key=lambda r: (r.due_on, r.case_number, r.case_id, r.key)):
        link = case_link(link_base, row.case_id)
        event = Event()
        event.add("uid", event_uid(row.case_id, row.key))
        event.add("dtstamp", dt.datetime.combine(row.due_on, dt.time(), dt.UTC))
        event.add("dtstart", row.due_on)
        event.add("dtend", row.due_on + dt.timedelta(days=1))
        event.add("summary", f"{row.what} 案件 {row.case_number}")
        event.add("description", f"{row.title}\n{link}")
        event.add("url", link)
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data
