"""The desk's routes without an engine: login with CSRF and lockout, cookies, security
headers, logout revoking the session, and 自課の案件 showing only the user's department."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.accounts import UserRole
from persistence.tables import CaseRow
from settings import Settings
from web.app import create_app
from web.deps import Desk
from web.errors import field_of

PW = "correct horse battery"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, database_url=""))
    desk: Desk = app.state.desk
    desk.users.add(
        username="kacho",
        display_name="保健 花子",
        roles=[UserRole.department_head],
        department="保健センター",
        password=PW,
    )
    now = dt.datetime.now(dt.UTC)
    with Session(desk.engine) as session:
        for n, (department, title, due) in enumerate(
            [
                ("保健センター", "健診結果の外部委託", dt.date(2020, 1, 6)),
                ("保健センター", "予防接種台帳のクラウド化", None),
                ("納税課", "滞納整理システムの更新", dt.date(2030, 1, 6)),
            ]
        ):
            session.add(
                CaseRow(
                    case_id=f"case-{n}",
                    title=title,
                    kind="new_system",
                    category="consultation",
                    department=department,
                    state="draft",
                    fiscal_year=2026,
                    seq=0,
                    next_deadline=due,
                    next_deadline_what="事前協議" if due else None,
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


def login(client: TestClient, password: str = PW) -> int:
    token = _csrf(client.get("/login").text)
    resp = client.post(
        "/login",
        data={"username": "kacho", "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    return resp.status_code


def test_the_login_page_is_japanese_with_strict_headers(client: TestClient) -> None:
    resp = client.get("/login")
    assert '<html lang="ja">' in resp.text and "ログイン" in resp.text
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["x-frame-options"] == "DENY"
    assert resp.headers["cache-control"] == "no-store"


def test_pages_need_a_login(client: TestClient) -> None:
    resp = client.get("/cases", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")


def test_a_login_without_the_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/login")
    resp = client.post("/login", data={"username": "kacho", "password": PW})
    assert resp.status_code == 403
    assert "toshin_session" not in client.cookies


def test_login_sets_an_httponly_lax_cookie_holding_only_a_token(client: TestClient) -> None:
    assert login(client) == 303
    cookie = next(
        h for h in client.cookies.jar if h.name == "toshin_session"
    )  # the jar keeps flags
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite", "").lower() == "lax"


def test_the_case_list_shows_only_the_users_department(client: TestClient) -> None:
    login(client)
    page = client.get("/cases").text
    assert "健診結果の外部委託" in page and "予防接種台帳のクラウド化" in page
    assert "滞納整理システムの更新" not in page
    assert "期限超過" in page  # 2020 is past
    assert "起案中" in page  # the state label, from models/labels


def test_the_csv_export_has_the_same_cases(client: TestClient) -> None:
    login(client)
    resp = client.get("/cases.csv")
    text = resp.content.decode("utf-8-sig")
    assert resp.headers["content-type"].startswith("text/csv")
    assert "健診結果の外部委託" in text and "滞納整理" not in text
    assert text.splitlines()[0].startswith("案件番号,年度,担当課,件名,状態")


def test_a_state_filter_with_no_match_says_what_to_do(client: TestClient) -> None:
    login(client)
    page = client.get("/cases", params={"state": "active"}).text
    assert "表示する案件はありません" in page and "健診結果" not in page


def test_five_wrong_passwords_lock_the_account(client: TestClient) -> None:
    for _ in range(5):
        assert login(client, "wrong password!") == 401
    assert login(client) == 423


def test_logout_revokes_the_session_server_side(client: TestClient) -> None:
    login(client)
    token = client.cookies["toshin_session"]
    page = client.get("/cases").text
    client.post("/logout", data={"csrf_token": _csrf(page)})
    client.cookies.set("toshin_session", token)  # a copy of the old cookie opens nothing
    resp = client.get("/cases", follow_redirects=False)
    assert resp.status_code == 303


def test_logout_without_the_csrf_token_is_refused(client: TestClient) -> None:
    login(client)
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/cases").status_code == 200


def test_errors_name_the_field() -> None:
    assert field_of("payload.reason: Field required") == "reason"
    assert field_of("reason is missing: no colon") is None


def test_bounded_text_fields_still_get_their_form() -> None:
    """models/limits.py types are Annotated[str, …]: the desk must still show them as fields
    (the condition report and the obligation's record are the department's daily acts)."""
    from models.case.states import Trigger
    from web.forms import act_form

    for trigger in (Trigger.submit_evidence, Trigger.fulfil_obligation, Trigger.issue_answer):
        form = act_form(trigger)
        assert form.supported, trigger
    fields = {f.name: f.kind for f in act_form(Trigger.submit_evidence).fields}
    assert fields == {"condition": "number", "file_ref": "text", "note": "textarea"}
