"""The session page's forms over HTTP (no browser) against the real engine: a session that
fails its quorum (流会) has its agenda carried over to the next session by the secretariat's
form, and a form that names no next session is answered next to that field."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator

import httpx2 as httpx
import pytest

from edge.connect import Edge
from models.accounts import UserRole
from tests.factories import act, actor, document
from tests.integration.conftest import System, municipality
from tests.integration.councils import POLICY, session_held_today
from tests.integration.test_sessions import council
from web.app import create_app

PW = "council-desk-password-2026"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


@pytest.fixture
async def desk(system: System) -> AsyncIterator[tuple[httpx.AsyncClient, Edge, str]]:
    edge = Edge(system.client, system.settings, municipality(POLICY))
    council_id = f"c{uuid.uuid4().hex[:8]}"
    await edge.councils.register(council(council_id))
    app = create_app(system.settings, edge=edge)
    app.state.desk.users.add(
        username="jimukyoku",
        display_name="総務 湯浅",
        roles=[UserRole.secretariat],
        department=None,
        password=PW,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        token = _csrf((await client.get("/login")).text)
        form = {"username": "jimukyoku", "password": PW, "csrf_token": token}
        assert (await client.post("/login", data=form)).status_code == 303
        yield client, edge, council_id
    app.state.desk.engine.dispose()


async def test_a_failed_session_carries_its_agenda_over_by_the_form(
    desk: tuple[httpx.AsyncClient, Edge, str],
) -> None:
    client, edge, council_id = desk
    case = await edge.cases.create_case(document=document(), actor=actor("department"))
    for trigger, role, payload in (
        ("submit", "department", {}),
        ("require_consultation", "secretariat", {"reason": "特に必要と認める"}),
        ("pass_precheck", "it", {"items": [{"check_id": "C1", "result": "conforming"}]}),
    ):
        await edge.cases.act(case.case_id, act(trigger, role, payload))
    today = await session_held_today(edge, council_id)
    page = (await client.get("/sessions")).text
    csrf = _csrf(page)
    later = dt.date.today() + dt.timedelta(days=40)
    planned = await client.post(
        "/sessions",
        data={
            "csrf_token": csrf,
            "council_id": council_id,
            "ordinal": "2",
            "held_on": later.isoformat(),
            "starts": "14:00",
            "ends": "16:00",
            "place": "庁議室",
            "openness": "open",
        },
    )
    assert planned.status_code == 303
    next_id = planned.headers["location"].split("/sessions/")[1].split("?")[0]

    async def send(name: str, **form: str | list[str]) -> httpx.Response:
        data = {"csrf_token": csrf, **form}
        return await client.post(f"/sessions/{today}/acts/{name}", data=data)

    assert (await send("add_items", case_ids=[case.case_id])).status_code == 303
    assert (await send("send_notice")).status_code == 303
    assert (await send("send_materials")).status_code == 303
    assert (await send("open_session", present=["m1", "m2", "m3"])).status_code == 303
    assert (await edge.sessions.session(today)).state == "failed_quorum"

    refused = await send("carry_over", reason="定足数に達せず流会")
    assert refused.status_code == 422
    assert 'id="carry_over-next_session-error"' in refused.text
    assert (await edge.sessions.session(today)).items[0].status == "on_agenda"  # unchanged

    carried = await send("carry_over", reason="定足数に達せず流会", next_session=next_id)
    assert carried.status_code == 303
    assert (await edge.sessions.session(today)).items[0].status == "carried_over"
    assert [i.case_id for i in (await edge.sessions.session(next_id)).items] == [case.case_id]
    page = (await client.get(f"/sessions/{today}")).text
    assert "次回へ延期" in page and "流会" in page
