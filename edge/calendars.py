"""Deadline calendars as iCalendar, from the read model: a department's as a file
(``starter.py calendar export``), and each desk user's secret feed URL (``FeedTokens``; the
desk serves the feed, ``web.routes.calendar``).

A feed URL carries a random token; only its SHA-256 is kept (``feed_tokens``), one live per
user. Re-issuing revokes the old URL, revoking leaves none; a disabled account's feed is
gone with it. The token opens that user's feed and nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from edge.loaders import load_municipality
from edge.users import view_of
from models.accounts import UserView
from models.errors import CaseError
from models.municipality import MunicipalityConfig, department_contacts
from models.tracking.reminders import case_link
from persistence import accounts as repo
from persistence.database import make_engine
from persistence.repository import upcoming_deadlines
from persistence.tables import FeedTokenRow
from settings import Settings
from web.ics import build_feed, calendar_name

JST = dt.timezone(dt.timedelta(hours=9))


def today_jst() -> dt.date:
    return dt.datetime.now(JST).date()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def department_feed(
    engine: Engine, town: MunicipalityConfig, department: str, from_date: dt.date
) -> bytes:
    """The department's upcoming deadlines as iCalendar bytes; ``UnknownDepartment`` when the
    municipality directory has no such department."""
    department_contacts(town, department)
    rows = upcoming_deadlines(engine, department, from_date)
    return build_feed(
        rows,
        name=calendar_name(town.name, department),
        case_link=lambda case_id: case_link(town.mail_link_base, case_id),
    )


def read_model(settings: Settings) -> Engine:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(
        settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )


def export_feed(settings: Settings, department: str) -> bytes:
    """The department's deadlines from today (JST); UnknownDepartment for one the directory
    lacks, CaseError when the read model cannot be read."""
    town = load_municipality(settings.municipality_file)
    department_contacts(town, department)
    try:
        return department_feed(read_model(settings), town, department, today_jst())
    except SQLAlchemyError as exc:
        raise CaseError(f"read model {settings.read_model_url}: {type(exc).__name__}") from None


class FeedTokens:
    """The secret feed URLs of desk users, on the read model's database."""

    def __init__(self, engine: Engine, clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def issue(self, username: str) -> str:
        """A new feed token for the user (returned once); the old one stops working."""
        token = secrets.token_urlsafe(32)
        with Session(self.engine) as session:
            for row in repo.live_feed_tokens(session, username=username):
                row.revoked = True
                repo.add_feed_token(session, row=row)
            row = FeedTokenRow(id_hash=_hash(token), username=username, created_at=self.clock())
            repo.add_feed_token(session, row=row)
            session.commit()
        return token

    def revoke(self, username: str) -> int:
        """Stop the user's feed URL; how many were live (0 or 1)."""
        with Session(self.engine) as session:
            rows = repo.live_feed_tokens(session, username=username)
            for row in rows:
                row.revoked = True
                repo.add_feed_token(session, row=row)
            session.commit()
            return len(rows)

    def issued_at(self, username: str) -> dt.datetime | None:
        """When the user's live feed URL was issued; None when there is none."""
        with Session(self.engine) as session:
            rows = repo.live_feed_tokens(session, username=username)
            return repo.aware(rows[-1].created_at) if rows else None

    def user_of(self, token: str) -> UserView | None:
        """The account whose live feed the token opens; None when it is unknown, revoked or
        the account is disabled (one answer for all)."""
        now = self.clock()
        with Session(self.engine) as session:
            row = repo.get_feed_token(session, id_hash=_hash(token))
            user = repo.get_user(session, username=row.username) if row else None
            if row is None or row.revoked or user is None or user.disabled:
                return None
            row.last_used = now
            repo.add_feed_token(session, row=row)
            session.commit()
            return view_of(user, now, display_name="")  # a feed never shows the name
