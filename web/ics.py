"""A desk user's calendar as an iCalendar feed (RFC 5545): one all-day event per deadline of
the cases they see, one timed event per upcoming council session they attend or run.

Pure and deterministic: the same rows give the same bytes (events sorted, DTSTAMP taken from
the data, never from the clock), so calendar clients see no change where there is none. No
personal data: case number, title, what is due, when, a session's name, place and hours, and
links.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from icalendar import Calendar, Event

PRODID = "-//toshin//deadlines and sessions//JA"


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


@dataclass(frozen=True)
class SessionEvent:
    """A council session as the feed shows it."""

    session_id: str
    name: str  # the council and 第N回, e.g. とうしん市個人情報保護審議会 令和8年度第1回
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    link: str


def event_uid(case_id: str, key: str) -> str:
    """Stable across projections and feeds: the same deadline keeps its event."""
    return f"{hashlib.sha256(f'{case_id}/{key}'.encode()).hexdigest()[:32]}@toshin"


def calendar_name(municipality: str, scope: str) -> str:
    return f"{municipality} {scope} 期限"


def build_feed(
    rows: Sequence[FeedRow],
    *,
    name: str,
    case_link: Callable[[str], str],
    sessions: Sequence[SessionEvent] = (),
) -> bytes:
    """The feed of ``rows`` and ``sessions``, named ``name``; ``case_link`` gives a case's
    link from its id."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Tokyo")
    for row in sorted(rows, key=lambda r: (r.due_on, r.case_number, r.case_id, r.key)):
        link = case_link(row.case_id)
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
    for session in sorted(sessions, key=lambda s: (s.starts_at, s.session_id)):
        event = Event()
        event.add("uid", event_uid(session.session_id, "session"))
        event.add("dtstamp", session.starts_at.astimezone(dt.UTC))
        event.add("dtstart", session.starts_at.astimezone(dt.UTC))
        event.add("dtend", session.ends_at.astimezone(dt.UTC))
        event.add("summary", session.name)
        event.add("location", session.place)
        event.add("description", session.link)
        event.add("url", session.link)
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data
