"""What the desk writes into the audit trail (no engine): logins that work, fail or meet a
locked account, the failure that locks it, logout and the CSV export, each with who, role and
where from; a password typed into the name field never reaches the trail."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.unit.test_desk_routes import PW, _csrf, client, login
from web.deps import Desk

__all__ = ["client"]  # the fixture, shared with the desk's route tests


def trail(client: TestClient) -> list[tuple[str, str, str, str | None, str, str]]:
    desk: Desk = client.app.state.desk  # type: ignore[attr-defined]
    assert desk.audit.verify().ok
    with desk.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT actor, role, action, case_id, detail, source FROM audit_records ORDER BY seq"
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_login_csv_and_logout_are_recorded_with_who_and_where_from(client: TestClient) -> None:
    login(client)
    page = client.get("/cases").text
    client.get("/cases.csv")
    client.post("/logout", data={"csrf_token": _csrf(page)})
    assert trail(client) == [
        ("kacho", "department_head", "login", None, "", "testclient"),
        ("kacho", "department_head", "case_list_csv", None,
         "保健センター, state any: 2 cases", "testclient"),
        ("kacho", "department_head", "logout", None, "", "testclient"),
    ]  # fmt: skip


def test_failed_logins_and_the_lockout_are_recorded(client: TestClient) -> None:
    for _ in range(5):
        assert login(client, "wrong password!") == 401
    assert login(client, PW) == 423
    actions = [(actor, action, detail) for actor, _, action, _, detail, _ in trail(client)]
    assert actions == [
        *[("kacho", "login_refused", "wrong password or disabled account")] * 4,
        ("kacho", "login_refused", "account now locked"),
        ("kacho", "login_locked", ""),
    ]


def test_a_password_typed_as_the_name_is_not_recorded(client: TestClient) -> None:
    token = _csrf(client.get("/login").text)
    client.post(
        "/login",
        data={"username": PW, "password": "x", "csrf_token": token},
        follow_redirects=False,
    )
    assert trail(client) == [("", "", "login_refused", None, "unknown account", "testclient")]
