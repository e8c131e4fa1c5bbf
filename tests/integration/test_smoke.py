from __future__ import annotations

from tests.factories import act, actor, document
from tests.integration.conftest import System


async def test_create_and_submit(system: System) -> None:
    snap = await system.gateway.create_case(document=document(), actor=actor("department"))
    assert snap.state == "draft"
    snap = await system.gateway.act(snap.case_id, act("submit", "department"))
    assert snap.state == "triage"
    rows = system.sql("select state, seq from cases where case_id = :c", c=snap.case_id)
    assert rows == [("triage", 1)]
