"""The REST API (/api/v1) with httpx against the desk's app and a real edge on the real dev
server: its OpenAPI document (API paths only), token and session-cookie auth (CSRF on writes),
the read-model list scoped to the caller's department, one case, its allowed acts, an act, and
the errors a program meets — 401, 403 (logged) on another department's case, 404, 422 naming
the field — with nothing changed by a refused request."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx2 as httpx
import pytest

from edge.connect import Edge
from edge.councils import CouncilService
from edge.identity import proven
from edge.users import UserService
from models.accounts import UserRole
from models.case.states import Role
from tests.factories import actor, document
from tests.integration.accounts import account_token
from tests.integration.conftest import System
from tests.integration.test_sessions import council, plan
from web.app import create_app
from web.auth import cookie_name


@dataclass
class Api:
    client: httpx.AsyncClient
    users: UserService
    ours: str  # 保健センター's case
    theirs: str  # 納税課's case
    hoken: dict[str, str]  # the department head's Authorization header
    jimu: dict[str, str]  # the secretariat's


@pytest.fixture
async def api(system: System) -> AsyncIterator[Api]:
    gateway = system.gateway
    ours = await gateway.create_case(document=document(title="健診予約"), actor=actor("department"))
    theirs = await gateway.create_case(
        document=document(title="滞納整理", department="納税課"),
        actor=actor("department", department="納税課"),
    )
    app = create_app(
        system.settings, edge=Edge(system.client, system.settings, gateway.municipality)
    )
    hoken = account_token(system.settings, "hoken", [UserRole.department_head], "保健センター")
    jimu = account_token(system.settings, "jimu", [UserRole.secretariat], None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk") as client:
        yield Api(
            client,
            app.state.desk.users,
            ours.case_id,
            theirs.case_id,
            {"Authorization": f"Bearer {hoken}"},
            {"Authorization": f"Bearer {jimu}"},
        )
    app.state.desk.engine.dispose()


def _error(response: httpx.Response, status: int, kind: str) -> dict[str, str | None]:
    assert response.status_code == status, response.text
    error: dict[str, str | None] = response.json()["error"]
    assert error["type"] == kind, error
    return error


async def test_the_openapi_document_has_the_api_and_not_the_desk(api: Api) -> None:
    response = await api.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert set(doc["paths"]) == {
        "/cases",
        "/cases/{case_id}",
        "/cases/{case_id}/allowed",
        "/cases/{case_id}/acts",
        "/sessions",
        "/sessions/{session_id}",
    }
    assert doc["servers"] == [{"url": "/api/v1"}]
    assert "HTTPBearer" in doc["components"]["securitySchemes"]
    assert (await api.client.get("/openapi.json")).status_code == 404  # the desk has none


@pytest.mark.both_dbs
async def test_a_department_head_lists_reads_and_acts_on_its_own_cases(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    assert _error(await api.client.get("/api/v1/cases"), 401, "LoginRefused")["message"]
    bad = {"Authorization": "Bearer tsn_not-a-token"}
    _error(await api.client.get("/api/v1/cases", headers=bad), 401, "LoginRefused")

    listed = (await api.client.get("/api/v1/cases", headers=api.hoken)).json()
    assert [c["case_id"] for c in listed["items"]] == [api.ours] and listed["total"] == 1
    everyone = (await api.client.get("/api/v1/cases?per_page=1", headers=api.jimu)).json()
    assert (everyone["total"], len(everyone["items"])) == (2, 1)
    narrowed = await api.client.get("/api/v1/cases?department=納税課", headers=api.jimu)
    assert [c["case_id"] for c in narrowed.json()["items"]] == [api.theirs]

    with caplog.at_level(logging.WARNING, logger="toshin.api"):
        _error(await api.client.get(f"/api/v1/cases/{api.theirs}", headers=api.hoken), 403,
               "Forbidden")  # fmt: skip
        other = await api.client.get("/api/v1/cases?department=納税課", headers=api.hoken)
        _error(other, 403, "Forbidden")
    refused = [r.getMessage() for r in caplog.records if r.name == "toshin.api"]
    assert len(refused) == 2 and api.theirs in refused[0], refused

    _error(await api.client.get("/api/v1/cases/000000000000", headers=api.hoken), 404,
           "CaseNotFound")  # fmt: skip
    case = (await api.client.get(f"/api/v1/cases/{api.ours}", headers=api.hoken)).json()
    assert (case["case_id"], case["state"]) == (api.ours, "draft")
    allowed = (await api.client.get(f"/api/v1/cases/{api.ours}/allowed", headers=api.hoken)).json()
    assert {(a["trigger"], a["role"]) for a in allowed} >= {("submit", "department")}

    acts = f"/api/v1/cases/{api.ours}/acts"
    error = _error(await api.client.post(acts, json={"trigger": "withdraw"}, headers=api.hoken),
                   422, "InvalidPayload")  # fmt: skip
    assert error["field"] == "payload.reason"
    error = _error(await api.client.post(acts, json={"trigger": "submit", "colour": "blue"},
                                         headers=api.hoken), 422, "InvalidPayload")  # fmt: skip
    assert error["field"] == "colour"
    error = _error(await api.client.post(acts, json={"trigger": "teleport"}, headers=api.hoken),
                   422, "InvalidPayload")  # fmt: skip
    assert error["field"] == "trigger"
    theirs = f"/api/v1/cases/{api.theirs}/acts"
    _error(await api.client.post(theirs, json={"trigger": "submit"}, headers=api.hoken), 403,
           "Forbidden")  # fmt: skip
    assert (await api.client.get(f"/api/v1/cases/{api.theirs}", headers=api.jimu)).json()[
        "state"
    ] == "draft"

    done = await api.client.post(acts, json={"trigger": "submit"}, headers=api.hoken)
    assert done.status_code == 200 and done.json()["state"] == "triage", done.text
    claim = {"trigger": "require_consultation", "payload": {"reason": "x"}, "role": "secretariat"}
    error = _error(await api.client.post(acts, json=claim, headers=api.hoken), 403,
                   "RoleNotAllowed")  # fmt: skip
    assert error["message"] == (
        "actor.role: the account does not hold secretariat (holds department)"
    )
    case = (await api.client.get(f"/api/v1/cases/{api.ours}", headers=api.hoken)).json()
    assert case["state"] == "triage"
    assert case["history"][-1]["actor"]["username"] == "hoken"


async def test_a_desk_session_cookie_works_and_its_writes_need_the_csrf_header(
    api: Api, system: System
) -> None:
    login = api.users.open_session(api.users.get("jimu"))
    api.client.cookies.set(cookie_name(system.settings, "session"), login.token)
    await api.client.post(
        f"/api/v1/cases/{api.ours}/acts", json={"trigger": "submit"}, headers=api.hoken
    )
    assert (await api.client.get("/api/v1/cases")).json()["total"] == 2  # the cookie's user

    acts = f"/api/v1/cases/{api.ours}/acts"
    body = {"trigger": "require_consultation", "payload": {"reason": "特に必要と認める"}}
    _error(await api.client.post(acts, json=body), 403, "CsrfRefused")
    wrong = {"X-CSRF-Token": "nope"}
    _error(await api.client.post(acts, json=body, headers=wrong), 403, "CsrfRefused")
    assert (await api.client.get(f"/api/v1/cases/{api.ours}")).json()["state"] == "triage"

    done = await api.client.post(acts, json=body, headers={"X-CSRF-Token": login.csrf_token})
    assert done.status_code == 200 and done.json()["state"] == "precheck", done.text

    api.users.close_session(login.token)
    _error(await api.client.get("/api/v1/cases"), 401, "LoginRefused")


async def test_sessions_are_read_by_the_secretariat_not_by_a_department(
    api: Api, system: System
) -> None:
    councils = CouncilService(system.client, system.settings, system.gateway.municipality)
    council_id = f"c{uuid.uuid4().hex[:8]}"
    await councils.register(council(council_id))
    the_plan = plan(council_id, 1, dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    jimu = api.users.get("jimu")
    planned = await councils.plan(proven(jimu, Role.secretariat), the_plan)

    listed = await api.client.get(f"/api/v1/sessions?council={council_id}", headers=api.jimu)
    assert [s["session_id"] for s in listed.json()] == [planned.session_id], listed.text
    one = await api.client.get(f"/api/v1/sessions/{planned.session_id}", headers=api.jimu)
    assert one.json()["state"] == "planned"
    _error(await api.client.get("/api/v1/sessions/c0-2026-9", headers=api.jimu), 404,
           "CaseNotFound")  # fmt: skip
    _error(await api.client.get("/api/v1/sessions", headers=api.hoken), 403, "Forbidden")


async def test_the_case_list_filters_by_kind_and_fiscal_year(api: Api, system: System) -> None:
    old = await system.gateway.create_case(
        document=document(title="窓口業務の委託", kind="outsourcing"),
        actor=actor("department"),
        created_on=dt.date(2024, 5, 1),
    )

    async def listed(query: str) -> list[str]:
        response = await api.client.get(f"/api/v1/cases?{query}", headers=api.jimu)
        assert response.status_code == 200, response.text
        return sorted(c["case_id"] for c in response.json()["items"])

    assert await listed("kind=outsourcing") == [old.case_id]
    assert await listed("kind=external_linkage") == sorted([api.ours, api.theirs])
    assert await listed("fiscal_year=2024") == [old.case_id]
    assert await listed("kind=outsourcing&fiscal_year=2025") == []
    mine = await api.client.get("/api/v1/cases?fiscal_year=2024", headers=api.hoken)
    assert [c["case_id"] for c in mine.json()["items"]] == [old.case_id]  # still its own only

    error = _error(await api.client.get("/api/v1/cases?kind=teleport", headers=api.jimu), 422,
                   "InvalidPayload")  # fmt: skip
    assert error["field"] == "kind"
    error = _error(await api.client.get("/api/v1/cases?fiscal_year=R8", headers=api.jimu), 422,
                   "InvalidPayload")  # fmt: skip
    assert error["field"] == "fiscal_year"
    doc = (await api.client.get("/api/v1/openapi.json")).json()
    params = {p["name"] for p in doc["paths"]["/cases"]["get"]["parameters"]}
    assert {"kind", "fiscal_year", "state", "department"} <= params
