"""The desk's audit records against the real engine: reading a case, being refused another
department's case, an act, and an act the user may not take, each recorded with who, role,
which case and where from, and the trail still verifies."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx2 as httpx
import pytest
from pydantic import SecretStr

from edge.connect import Edge
from models.accounts import UserRole
from tests.factories import actor, document
from tests.integration.conftest import System
from tests.keys import TEST_KEYRING_ENV
from web.app import create_app
from web.deps import Desk

PW = "desk-audit-password"


@dataclass
class DeskClient:
    http: httpx.AsyncClient
    desk: Desk
    ours: str
    theirs: str
    system: System
    transport: httpx.ASGITransport

    async def log_in(self, username: str, http: httpx.AsyncClient | None = None) -> str:
        """Log in; the session's CSRF token (from the case list's logout form)."""
        http = http or self.http
        page = (await http.get("/login")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        resp = await http.post(
            "/login", data={"username": username, "password": PW, "csrf_token": token.group(1)}
        )
        assert resp.status_code == 303, resp.text
        found = re.search(r'name="csrf_token" value="([^"]+)"', (await http.get("/cases")).text)
        assert found
        return found.group(1)

    def records(self) -> list[tuple[str, str, str, str | None, str, str]]:
        assert self.desk.audit.verify().ok
        with self.desk.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT actor, role, action, case_id, detail, source FROM audit_records ORDER BY seq"
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.fixture
async def desk_client(system: System) -> AsyncIterator[DeskClient]:
    """The desk app on the real engine, called in-process (httpx's ASGI transport: the client
    address is 127.0.0.1), with a department head and an admin."""
    gateway = system.gateway
    ours = await gateway.create_case(document=document(), actor=actor("department"))
    theirs = await gateway.create_case(
        document=document(department="納税課"), actor=actor("department", department="納税課")
    )
    settings = system.settings.model_copy(  # the desk's own busy timeout (the default)
        update={"keyring": SecretStr(TEST_KEYRING_ENV), "sqlite_busy_timeout_ms": 5_000}
    )
    app = create_app(settings, edge=Edge(system.client, settings, gateway.municipality))
    desk: Desk = app.state.desk
    desk.users.add(username="kacho", display_name="保健 花子", roles=[UserRole.department_head],
                   department="保健センター", password=PW)  # fmt: skip
    desk.users.add(username="admin", display_name="情報 管理者", roles=[UserRole.admin],
                   department=None, password=PW)  # fmt: skip
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield DeskClient(http, desk, ours.case_id, theirs.case_id, system, transport)
    desk.engine.dispose()


async def test_case_reads_and_acts_are_recorded(desk_client: DeskClient) -> None:
    d = desk_client
    csrf = await d.log_in("kacho")
    assert (await d.http.get(f"/cases/{d.ours}")).status_code == 200
    assert (await d.http.get(f"/cases/{d.theirs}")).status_code == 403
    resp = await d.http.post(f"/cases/{d.ours}/acts/submit", data={"csrf_token": csrf})
    assert resp.status_code == 303, resp.text
    resp = await d.http.post(f"/cases/{d.ours}/acts/decide", data={"csrf_token": csrf})
    assert resp.status_code == 403
    head = ("kacho", "department_head")
    assert d.records() == [
        (*head, "login", None, "", "127.0.0.1"),
        (*head, "case_read", d.ours, "", "127.0.0.1"),
        (*head, "case_read_refused", d.theirs, "another department's case", "127.0.0.1"),
        (*head, "case_act", d.ours, "submit", "127.0.0.1"),
        (*head, "case_act_refused", d.ours, "decide: not now", "127.0.0.1"),
    ]


async def test_desk_requests_at_once_keep_one_chain(desk_client: DeskClient) -> None:
    d = desk_client
    await d.log_in("admin")
    exports = await asyncio.gather(*(d.http.get("/cases.csv") for _ in range(12)))
    assert {e.status_code for e in exports} == {200}, [e.text[-300:] for e in exports][:1]
    csv_records = [r for r in d.records() if r[2] == "case_list_csv"]  # records() verifies
    assert len(csv_records) == 12
