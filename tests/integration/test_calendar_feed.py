"""Each desk user's calendar feed, served by the desk against the real engine: a secret URL
issued on the カレンダー page (only its hash kept), the same iCalendar as the department export
for that user's scope — a department head their department's deadlines, the secretariat every
department's and the sessions, a council member the sessions of their council only — and a
URL that was re-issued or stopped is 404."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx2 as httpx
import pytest
from icalendar import Calendar
from sqlmodel import Session

from edge.connect import Edge
from edge.councils import CouncilService
from edge.identity import proven
from edge.users import UserService
from models.accounts import UserRole
from models.case.states import Role
from models.labels import session_label
from models.projection import DeadlineRow, DeadlineStatus, ProjectDeadlinesInput
from persistence.repository import replace_deadlines
from tests.integration.conftest import System
from tests.integration.test_sessions import council, plan
from web.app import create_app
from web.auth import cookie_name

PW = "correct horse battery"
ACCOUNTS = (
    ("kacho", [UserRole.department_head], "保健センター"),
    ("jimu", [UserRole.secretariat], None),
    ("m3", [UserRole.council], None),  # on the roster (m1…m10)
    ("m42", [UserRole.council], None),  # a council account on no roster
)


@dataclass
class Feeds:
    client: httpx.AsyncClient
    users: UserService
    settings_cookie: str
    fiscal_year: int  # of the planned session


@pytest.fixture
async def feeds(system: System) -> AsyncIterator[Feeds]:
    app = create_app(
        system.settings, edge=Edge(system.client, system.settings, system.gateway.municipality)
    )
    users: UserService = app.state.desk.users
    for username, roles, department in ACCOUNTS:
        users.add(
            username=username,
            display_name=username,
            roles=roles,
            department=department,
            password=PW,
        )
    today = dt.date.today()
    with Session(app.state.desk.engine) as db:
        for case_id, department in (
            ("c0000000hoken", "保健センター"),
            ("c00000000nozei", "納税課"),
        ):
            replace_deadlines(
                db,
                inp=ProjectDeadlinesInput(
                    case_id=case_id,
                    department=department,
                    case_number=f"{department}の案件",
                    title="件名",
                    rows=[
                        DeadlineRow(
                            key="condition-1",
                            what="条件1の履行報告",
                            due_on=today + dt.timedelta(days=20),
                            status=DeadlineStatus.open,
                        )
                    ],
                ),
                now=dt.datetime.now(dt.UTC),
            )
        db.commit()
    councils = CouncilService(system.client, system.settings, system.gateway.municipality)
    council_id = f"c{uuid.uuid4().hex[:8]}"
    await councils.register(council(council_id))
    starts = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=30)
    the_plan = plan(council_id, 1, starts)
    await councils.plan(proven(users.get("jimu"), Role.secretariat), the_plan)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk") as client:
        yield Feeds(client, users, cookie_name(system.settings, "session"), the_plan.fiscal_year)
    app.state.desk.engine.dispose()


async def _issue(feeds: Feeds, username: str, action: str = "issue") -> str:
    login = feeds.users.open_session(feeds.users.get(username))
    feeds.client.cookies.set(feeds.settings_cookie, login.token)
    try:
        page = await feeds.client.post(f"/calendar/{action}", data={"csrf_token": login.csrf_token})
    finally:
        feeds.client.cookies.clear()
    if action == "revoke":
        assert page.status_code == 303, page.text
        return ""
    assert page.status_code == 200, page.text
    found = re.search(r'value="(http://desk/calendar/[^"]+\.ics)"', page.text)
    assert found, page.text
    return found.group(1).removeprefix("http://desk")


async def _events(feeds: Feeds, url: str) -> list[str]:
    response = await feeds.client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return sorted(str(e["SUMMARY"]) for e in Calendar.from_ical(response.content).walk("VEVENT"))


async def test_each_user_gets_a_secret_feed_of_their_own_scope(feeds: Feeds) -> None:
    kacho = await _issue(feeds, "kacho")
    assert await _events(feeds, kacho) == ["条件1の履行報告 案件 保健センターの案件"]
    session = f"とうしん市個人情報保護審議会 {session_label(feeds.fiscal_year, 1)}"
    assert await _events(feeds, await _issue(feeds, "jimu")) == [
        session,
        "条件1の履行報告 案件 保健センターの案件",
        "条件1の履行報告 案件 納税課の案件",
    ]
    assert await _events(feeds, await _issue(feeds, "m3")) == [session]
    assert await _events(feeds, await _issue(feeds, "m42")) == []  # no seat, no sessions

    # the feed needs no login; without a token, with a wrong or a stopped one: 404
    assert (await feeds.client.get("/calendar/not-a-token.ics")).status_code == 404
    again = await _issue(feeds, "kacho")  # re-issued: the old URL stops
    assert (await feeds.client.get(kacho)).status_code == 404
    assert (await feeds.client.get(again)).status_code == 200
    await _issue(feeds, "kacho", "revoke")
    assert (await feeds.client.get(again)).status_code == 404

    # the page needs the session's CSRF token
    login = feeds.users.open_session(feeds.users.get("kacho"))
    feeds.client.cookies.set(feeds.settings_cookie, login.token)
    forged = await feeds.client.post("/calendar/issue", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    page = await feeds.client.get("/calendar")
    assert page.status_code == 200 and "未発行" in page.text
