"""The admin console's gate without an engine: only admins get in (403 for every other role,
on every page and form), and an admin's form without the session's CSRF token is refused
before anything reaches the engine."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from models.accounts import UserRole
from settings import Settings
from web.app import create_app
from web.deps import Desk

PW = "correct horse battery"
PAGES = ["/admin", "/admin/reset?case_id=abc&seq=1"]
FORMS = ["/admin/repair", "/admin/batch/preview", "/admin/batch/retry", "/admin/reset",
         "/admin/reconcile"]  # fmt: skip


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, database_url=""))
    desk: Desk = app.state.desk
    for name, role in (("jimu", UserRole.secretariat), ("kanri", UserRole.admin)):
        desk.users.add(username=name, display_name=name, roles=[role], department=None, password=PW)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def log_in(client: TestClient, username: str) -> str:
    """Log in; returns the session's CSRF token (from a page behind the login)."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    data = {"username": username, "password": PW, "csrf_token": token.group(1)}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    page = client.get("/deadlines")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def test_only_admins_get_in(client: TestClient) -> None:
    csrf = log_in(client, "jimu")
    assert "/admin" not in client.get("/deadlines").text  # no menu entry either
    for path in PAGES:
        resp = client.get(path)
        assert resp.status_code == 403, path
        assert "このページを見る権限がありません" in resp.text
    for path in FORMS:
        resp = client.post(path, data={"csrf_token": csrf, "reason": "x"})
        assert resp.status_code == 403, path


def test_an_admin_form_without_the_csrf_token_is_refused(client: TestClient) -> None:
    log_in(client, "kanri")
    assert 'href="/admin"' in client.get("/deadlines").text
    for path in FORMS:
        resp = client.post(path, data={"reason": "照合", "csrf_token": "forged"})
        assert resp.status_code == 403, path
        assert "フォームの有効期限が切れました" in resp.text


def test_the_console_needs_a_login(client: TestClient) -> None:
    resp = client.get("/admin", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login?next=/admin"
