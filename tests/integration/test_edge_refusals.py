"""Engine-only triggers are refused at the edge for every caller and every role, through the
services and through the CLI, and nothing changes on the case."""

from __future__ import annotations

import datetime as dt

import pytest

from models.case.lifecycle import is_engine_only
from models.case.states import Role, Trigger
from models.errors import EngineOnly
from tests.factories import act, actor, document
from tests.integration.conftest import System
from tests.integration.test_cli import cli

D = dt.date
SESSION = {"session_id": "2018-3", "council": "個人情報保護審議会", "held_on": "2018-02-07"}
TO_ACTIVE = [
    ("submit", "department", {}, D(2018, 1, 5)),
    ("require_consultation", "secretariat", {"reason": "外部結合"}, D(2018, 1, 9)),
    (
        "pass_precheck",
        "it",
        {"items": [{"check_id": "C1", "result": "conforming"}]},
        D(2018, 1, 12),
    ),
    ("schedule", "secretariat", {"session": SESSION}, D(2018, 1, 15)),
    ("send_materials", "secretariat", {}, D(2018, 1, 29)),
    ("open_deliberation", "chair", {"seats": 10, "present": 8}, D(2018, 2, 7)),
    ("decide", "council", {"outcome": "approve", "votes": {"yes": 8}}, D(2018, 2, 7)),
    ("issue_answer", "chair", {"number": "第870号"}, D(2018, 2, 20)),
]
ENGINE_ONLY = [t for t in Trigger if is_engine_only(t)]
PAYLOADS = {Trigger.supersede: {"change_case": "0000deadbeef"}}


async def _active_case(system: System) -> str:
    snap = await system.gateway.create_case(
        document=document(), actor=actor("department"), created_on=D(2018, 1, 4)
    )
    for trigger, role, payload, on in TO_ACTIVE:
        await system.gateway.act(snap.case_id, act(trigger, role, payload, on))
    assert (await system.gateway.snapshot(snap.case_id)).state == "active"
    return snap.case_id


def test_the_engine_only_triggers_are_the_engine_s_consequences() -> None:
    assert set(ENGINE_ONLY) == {
        Trigger.apply_outcome,
        Trigger.activate,
        Trigger.open_review,
        Trigger.flag_attention,
        Trigger.supersede,
    }


async def test_the_edge_refuses_engine_only_triggers_whoever_asks(system: System) -> None:
    case_id = await _active_case(system)
    before = await system.gateway.snapshot(case_id)
    offered = {a.trigger for a in before.allowed}
    assert "submit_evidence" in offered and not offered & set(ENGINE_ONLY)  # never offered
    for trigger in ENGINE_ONLY:
        for role in Role:
            with pytest.raises(EngineOnly, match=f"{trigger} is fired by the engine itself"):
                await system.gateway.act(case_id, act(trigger, role, PAYLOADS.get(trigger)))
    after = await system.gateway.snapshot(case_id)
    assert after.state == "active" and after.projected_seq == before.projected_seq
    assert len(after.history) == len(before.history)


async def test_the_cli_refuses_engine_only_triggers_in_one_line(system: System) -> None:
    case_id = await _active_case(system)
    seq = len((await system.gateway.snapshot(case_id)).history)
    for args in (
        ["flag_attention", "--as", "secretariat"],
        ["supersede", "--as", "department", "--set", "change_case=0000deadbeef"],
        ["open_review", "--as", "council"],
    ):
        code, _out, err = await cli(system, "case", "act", case_id, *args)
        assert code == 1, err
        assert err.startswith("error: EngineOnly: "), err
        assert len(err.strip().splitlines()) == 1, err
    code, out, _err = await cli(system, "case", "act", "--help")
    assert code == 0 and "submit" in out
    assert not any(f"{t.value} (" in out for t in ENGINE_ONLY), out
    snap = await system.gateway.snapshot(case_id)
    assert snap.state == "active" and len(snap.history) == seq
