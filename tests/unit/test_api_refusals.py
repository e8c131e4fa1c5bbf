"""The API's answers to requests schemathesis found it answered badly (a 500, Starlette's own
error body, an undocumented 400, a misspelt filter ignored): each now one typed error in the
API's body naming the field. No engine: every refusal comes before a case is looked up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from models.accounts import UserRole
from settings import Settings
from web.app import create_app
from web.deps import Desk


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, database_url=""))
    desk: Desk = app.state.desk
    desk.users.add(
        username="kacho",
        display_name="保健 花子",
        roles=[UserRole.department_head],
        department="保健センター",
        password="correct horse battery",
    )
    token = desk.users.issue_token("kacho", "tests")[0]
    with TestClient(app, base_url="http://127.0.0.1") as c:
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


def _error(response: object, status: int, kind: str) -> dict[str, str | None]:
    assert getattr(response, "status_code", None) == status, getattr(response, "text", None)
    error: dict[str, str | None] = response.json()["error"]  # type: ignore[attr-defined]
    assert error["type"] == kind, error
    return error


def test_a_misspelt_query_parameter_is_refused_not_ignored(client: TestClient) -> None:
    error = _error(client.get("/api/v1/cases?departmnet=納税課"), 422, "InvalidPayload")
    assert error["field"] == "departmnet"
    assert "unknown query parameter" in str(error["message"])
    assert "department" in str(error["message"])  # says what the operation takes
    assert client.get("/api/v1/cases?department=保健センター").status_code == 200


def test_an_act_dated_outside_the_calendar_is_a_422_naming_on_not_a_500(
    client: TestClient,
) -> None:
    body = {"trigger": "submit", "on": "0078-10-16"}
    error = _error(client.post("/api/v1/cases/abc/acts", json=body), 422, "InvalidPayload")
    assert error["field"] == "on"
    assert "0078-10-16 is outside 1868-01-25" in str(error["message"])


def test_a_body_that_is_not_json_is_a_422_naming_the_body(client: TestClient) -> None:
    sent = client.post(
        "/api/v1/cases/abc/acts",
        content=b"\xd3\x84\xff",
        headers={"Content-Type": "application/json"},
    )
    error = _error(sent, 422, "InvalidPayload")
    assert error["field"] == "body"


def test_a_path_the_api_does_not_have_answers_in_the_api_error_body(client: TestClient) -> None:
    error = _error(client.get("/api/v1/cases/a%0Ab/allowed"), 404, "NotFound")
    assert str(error["message"]).startswith("GET /api/v1/cases/a")
    assert str(error["message"]).endswith(": Not Found")
    _error(client.get("/api/v1/no-such-thing"), 404, "NotFound")
    _error(client.delete("/api/v1/cases"), 405, "MethodNotAllowed")


def test_a_refusal_log_line_cannot_be_forged_by_the_callers_query(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    forged = "納税課\nWARNING web.api refused nothing: all is well"
    with caplog.at_level("WARNING"):
        _error(client.get("/api/v1/cases", params={"department": forged}), 403, "Forbidden")
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refusals, "the 403 is logged"
    assert all("\n" not in line for line in refusals), refusals  # one line, the value escaped
