"""カレンダー: each desk user's secret calendar feed URL, and the feed it opens.

The page issues the URL (shown once: only its token's SHA-256 is kept), re-issues it (the old
one stops) and stops it (``edge.calendars.FeedTokens``). ``GET /calendar/<token>.ics`` needs
no login (calendar clients have none) and serves what the token's account sees: the
deadlines of its department's cases (every department's for the secretariat, IT and admins)
and the upcoming sessions of the councils it runs (secretariat, admin, chair) or sits on
(委員). An unknown, stopped or disabled account's token is 404, like any missing page.
"""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from edge.calendars import FeedTokens, today_jst
from edge.users import Login
from models.accounts import UserView
from models.audit import AuditAction
from models.calendar.wareki import format_date
from models.errors import FileNotFound
from models.labels import session_label
from persistence.repository import list_councils, list_sessions, upcoming_deadlines
from web.access import CASE_PAGES, FEED_PAGES, MEMBER_PAGES, SESSION_PAGES, require, seat_of
from web.auth import CSRF_FIELD, check_csrf
from web.deps import CurrentLogin, Desk, DeskDep, who
from web.errors import Forbidden
from web.frame import page_frame
from web.ics import SessionEvent, build_feed, calendar_name
from web.routes.cases import scope
from web.routes.members import UPCOMING

router = APIRouter()
FEED_PATH = re.compile(r"/calendar/[^/?\s]+\.ics")


class HideFeedTokens(logging.Filter):
    """Access logs name a feed's path without its token (the token is the feed's key)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                FEED_PATH.sub("/calendar/….ics", a) if isinstance(a, str) else a
                for a in record.args
            )
        return True


def _feed_url(request: Request, token: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/calendar/{token}.ics"


def _deadline_scope(user: UserView) -> tuple[bool, str | None]:
    """Whether the user's calendar has case deadlines, and whose (None: every department)."""
    if not any(r in CASE_PAGES for r in user.roles):
        return False, None
    try:
        return True, scope(user)
    except Forbidden:  # a department role without a department: no cases to show
        return False, None


def _with_sessions(user: UserView) -> bool:
    return any(r in SESSION_PAGES | MEMBER_PAGES for r in user.roles)


async def _sessions(desk: Desk, user: UserView, base: str) -> list[SessionEvent]:
    """The upcoming sessions of the councils the user runs or sits on."""
    if not _with_sessions(user):
        return []
    runs = any(r in SESSION_PAGES for r in user.roles)
    edge = await desk.get_edge()
    today = today_jst()
    events: list[SessionEvent] = []
    for council_row in list_councils(desk.engine):
        if not runs:
            council = (await edge.councils.council(council_row.council_id)).council
            if seat_of(council, user) is None:
                continue
        page = "/sessions/" if runs else "/member/sessions/"
        for row in list_sessions(desk.engine, council_id=council_row.council_id):
            if row.state not in UPCOMING or row.held_on < today:
                continue
            plan = (await edge.sessions.record(row.session_id)).plan
            events.append(
                SessionEvent(
                    session_id=row.session_id,
                    name=f"{council_row.name} {session_label(row.fiscal_year, row.ordinal)}",
                    starts_at=plan.starts_at,
                    ends_at=plan.ends_at,
                    place=plan.place,
                    link=f"{base}{page}{row.session_id}",
                )
            )
    return events


async def user_feed(desk: Desk, user: UserView, base: str) -> bytes:
    """The iCalendar of what ``user`` sees, its links on the desk at ``base``."""
    with_cases, department = _deadline_scope(user)
    rows = (
        await run_in_threadpool(upcoming_deadlines, desk.engine, department, today_jst())
        if with_cases
        else []
    )
    sessions = await _sessions(desk, user, base)
    what = department or ("全課" if with_cases else "審議会")
    return build_feed(
        rows,
        name=calendar_name(desk.town.name, what),
        case_link=lambda case_id: f"{base}/cases/{case_id}",
        sessions=sessions,
    )


async def _check_form(request: Request, login: Login) -> None:
    posted = (await request.form()).get(CSRF_FIELD)
    check_csrf(login, posted if isinstance(posted, str) else None)


def _tokens(desk: Desk) -> FeedTokens:
    return FeedTokens(desk.engine)


def _page(
    request: Request, desk: Desk, login: CurrentLogin, *, url: str | None, done: str | None
) -> Response:
    issued = _tokens(desk).issued_at(login.user.username)
    style = desk.town.date_style
    issued_on = format_date(issued.date(), style) if issued else None
    return desk.templates.TemplateResponse(
        request,
        "calendar.html",
        {
            **page_frame(desk, login),
            "url": url,
            "issued_on": issued_on,
            "done": done,
            "with_sessions": _with_sessions(login.user),
        },
    )


@router.get("/calendar")
def calendar_page(
    request: Request, desk: DeskDep, login: CurrentLogin, done: str | None = None
) -> Response:
    require(login.user, FEED_PAGES, "the calendar page")
    return _page(request, desk, login, url=None, done=done if done == "revoked" else None)


@router.post("/calendar/issue")
async def issue_feed(request: Request, desk: DeskDep, login: CurrentLogin) -> Response:
    await _check_form(request, login)
    require(login.user, FEED_PAGES, "the calendar page")
    token = await run_in_threadpool(_tokens(desk).issue, login.user.username)
    await run_in_threadpool(desk.audit.record, who(request, login), AuditAction.feed_issued)
    return _page(request, desk, login, url=_feed_url(request, token), done="issued")


@router.post("/calendar/revoke")
async def revoke_feed(request: Request, desk: DeskDep, login: CurrentLogin) -> Response:
    await _check_form(request, login)
    require(login.user, FEED_PAGES, "the calendar page")
    await run_in_threadpool(_tokens(desk).revoke, login.user.username)
    await run_in_threadpool(desk.audit.record, who(request, login), AuditAction.feed_revoked)
    return RedirectResponse("/calendar?done=revoked", status_code=303)


@router.get("/calendar/{token}.ics")
async def feed(request: Request, desk: DeskDep, token: str) -> Response:
    user = await run_in_threadpool(_tokens(desk).user_of, token) if len(token) <= 100 else None
    if user is None:
        raise FileNotFound("calendar: no such feed")
    base = str(request.base_url).rstrip("/")
    body = await user_feed(desk, user, base)
    return Response(body, media_type="text/calendar; charset=utf-8")
