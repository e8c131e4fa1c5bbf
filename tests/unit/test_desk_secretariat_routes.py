"""The secretariat's and members' pages without an engine: who opens which page (roles from
the login only), the lists from the read model (councils and sessions, the intake queue, the
municipality's overdue cases and counts per state), and a plan form with bad input answered
next to its fields without reaching the engine."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.accounts import UserRole
from models.calendar.clock import JST
from models.calendar.jcalendar import fiscal_year
from persistence.tables import CaseRow, CouncilRow, SessionRow
from settings import Settings
from web.app import create_app
from web.deps import Desk

PW = "correct horse battery"
TODAY = dt.datetime.now(JST).date()  # the desk's today is Japan's, not the machine's
THIS_YEAR = fiscal_year(TODAY)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, database_url=""))
    desk: Desk = app.state.desk
    for username, roles, department in (
        ("kacho", [UserRole.department_head], "保健センター"),
        ("jimu", [UserRole.secretariat], None),
        ("m3", [UserRole.council], None),
    ):
        desk.users.add(
            username=username,
            display_name=username,
            roles=roles,
            department=department,
            password=PW,
        )
    now = dt.datetime.now(dt.UTC)
    with Session(desk.engine) as session:
        for n, (department, title, state, due) in enumerate(
            [
                ("保健センター", "健診結果の外部委託", "triage", TODAY - dt.timedelta(days=3)),
                ("納税課", "滞納整理システムの更新", "precheck", TODAY + dt.timedelta(days=9)),
                ("市民課", "窓口予約のクラウド化", "active", None),
            ]
        ):
            session.add(
                CaseRow(
                    case_id=f"case-{n}",
                    title=title,
                    kind="new_system",
                    category="consultation",
                    department=department,
                    state=state,
                    fiscal_year=2026,
                    seq=0,
                    next_deadline=due,
                    next_deadline_what="triage decision" if due else None,
                    updated_at=now,
                )
            )
        session.add(
            CouncilRow(
                council_id="toshin-privacy",
                name="とうしん市個人情報保護審議会",
                seats=10,
                quorum="majority_of_seats",
                member_count=10,
                sessions_planned=1,
                version=1,
                updated_at=now,
            )
        )
        session.add(
            SessionRow(
                session_id=f"toshin-privacy-{THIS_YEAR}-1",
                council_id="toshin-privacy",
                fiscal_year=THIS_YEAR,
                ordinal=1,
                held_on=TODAY - dt.timedelta(days=40),
                starts_at=now - dt.timedelta(days=40),
                state="closed",
                minutes="approved",
                minutes_due=TODAY - dt.timedelta(days=10),
                item_count=2,
                warning_count=0,
                version=1,
                updated_at=now,
            )
        )
        session.commit()
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def login(client: TestClient, username: str) -> str:
    token = _csrf(client.get("/login").text)
    resp = client.post(
        "/login",
        data={"username": username, "password": PW, "csrf_token": token},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    return str(resp.headers["location"])


@pytest.mark.parametrize("path", ["/sessions", "/intake", "/overview", "/member"])
def test_a_department_user_is_refused_every_secretariat_and_member_page(
    client: TestClient, path: str
) -> None:
    login(client, "kacho")
    resp = client.get(path)
    assert resp.status_code == 403
    assert "このページを見る権限がありません" in resp.text


def test_a_council_member_lands_on_their_page_and_not_on_the_secretariats(
    client: TestClient,
) -> None:
    assert login(client, "m3") == "/member"
    for path in ("/sessions", "/intake", "/overview"):
        assert client.get(path).status_code == 403


def test_the_secretariat_sees_councils_and_sessions_from_the_read_model(
    client: TestClient,
) -> None:
    login(client, "jimu")
    page = client.get("/sessions").text
    assert "とうしん市個人情報保護審議会" in page
    assert f'href="/sessions/toshin-privacy-{THIS_YEAR}-1"' in page
    assert f"{THIS_YEAR}年度第1回" in page and "閉会" in page and "会長承認済" in page
    # the secretariat may plan: the one council and its next ordinal are filled in
    assert re.search(r'<option value="toshin-privacy" selected>', page)
    assert 'id="plan-ordinal" name="ordinal" value="2"' in page


def test_the_intake_queue_lists_triage_and_precheck_cases_with_their_acts(
    client: TestClient,
) -> None:
    login(client, "jimu")
    page = client.get("/intake").text
    assert "健診結果の外部委託" in page and "滞納整理システムの更新" in page
    assert "窓口予約のクラウド化" not in page  # not waiting for intake
    assert 'action="/intake/case-0/acts/require_consultation"' in page
    assert 'action="/intake/case-1/acts/pass_precheck"' in page
    assert 'action="/intake/case-0/acts/pass_precheck"' not in page  # not in precheck


def test_the_overview_shows_every_departments_overdue_cases_and_counts(
    client: TestClient,
) -> None:
    login(client, "jimu")
    page = client.get("/overview").text
    overdue = page.split('id="overdue-title"')[1].split("</section>")[0]
    assert "健診結果の外部委託" in overdue and "3日" in overdue
    assert "滞納整理システムの更新" not in overdue  # due in nine days
    assert f"{THIS_YEAR}年度第1回" in page  # its minutes were due ten days ago, unpublished
    counts = page.split('id="counts-title"')[1]
    assert re.search(r"事前協議</a></th><td>1</td>", counts)
    assert re.search(r"合計</th><td>3</td>", counts)


def test_a_bad_plan_is_answered_next_to_its_fields(client: TestClient) -> None:
    login(client, "jimu")
    csrf = _csrf(client.get("/sessions").text)
    resp = client.post(
        "/sessions",
        data={
            "csrf_token": csrf,
            "council_id": "toshin-privacy",
            "ordinal": "二",
            "held_on": "2027-02-10",
            "starts": "14:00",
            "ends": "",
            "place": "庁議室",
            "openness": "open",
        },
    )
    assert resp.status_code == 422
    assert 'id="plan-ordinal-error"' in resp.text and "半角数字" in resp.text
    assert 'id="plan-ends-error"' in resp.text
    assert 'value="庁議室"' in resp.text  # what was typed stays


def test_a_plan_needs_the_forms_csrf_token(client: TestClient) -> None:
    login(client, "jimu")
    resp = client.post("/sessions", data={"csrf_token": "forged", "council_id": "toshin-privacy"})
    assert resp.status_code == 403
