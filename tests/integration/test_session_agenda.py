"""Taking a case off a session's agenda on the real dev server: before the materials go out
the secretariat removes it with a reason, the case waits in ready again with the reason in
its history, the read model's agenda follows, and the case can be put on an agenda again;
once the materials are out, or for anyone but the secretariat, it is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from edge.cases import CaseService
from edge.councils import CouncilService
from models.errors import InvalidPayload, InvalidTransition, RoleNotAllowed
from models.session.record import AddItems, RemoveItem, SessionAct
from persistence.repository import list_session_items
from tests.factories import actor
from tests.integration.conftest import System
from tests.integration.test_sessions import JST, SECRETARIAT, plan, ready_case, setup

__all__ = ["setup"]  # the fixture: a council registered on the system's worker


async def test_the_secretariat_takes_a_case_off_the_agenda_before_the_materials(
    setup: tuple[CaseService, CouncilService, str], system: System
) -> None:
    cases, councils, cid = setup
    c1, c2 = [await ready_case(cases, t) for t in ("WEB予約", "自動電話催告")]
    starts = dt.datetime.now(JST) + dt.timedelta(days=30)
    s1 = (await councils.plan(SECRETARIAT, plan(cid, 1, starts))).session_id
    await councils.act(s1, "add_items", AddItems(actor=SECRETARIAT, case_ids=[c1, c2]))
    await councils.act(s1, "send_notice", SessionAct(actor=SECRETARIAT))

    with pytest.raises(RoleNotAllowed):
        await councils.act(
            s1, "remove_item", RemoveItem(actor=actor("chair"), case_id=c1, reason="x")
        )
    reason = "担当課の資料差替えのため次回に付議する"
    snap = await councils.act(
        s1, "remove_item", RemoveItem(actor=SECRETARIAT, case_id=c1, reason=reason)
    )
    assert [i.case_id for i in snap.items] == [c2]
    case = await cases.snapshot(c1)
    assert case.state == "ready" and case.history[-1].reason == reason
    assert [r.case_id for r in list_session_items(system.engine, session_id=s1)] == [c2]
    with pytest.raises(InvalidPayload, match="not on this session's agenda"):
        await councils.act(
            s1, "remove_item", RemoveItem(actor=SECRETARIAT, case_id=c1, reason=reason)
        )

    # it can go on an agenda again; once the materials are out, it stays
    snap = await councils.act(s1, "add_items", AddItems(actor=SECRETARIAT, case_ids=[c1]))
    assert [i.case_id for i in snap.items] == [c2, c1]
    assert (await cases.snapshot(c1)).state == "scheduled"
    await councils.act(s1, "send_materials", SessionAct(actor=SECRETARIAT))
    with pytest.raises(InvalidTransition):
        await councils.act(
            s1, "remove_item", RemoveItem(actor=SECRETARIAT, case_id=c2, reason=reason)
        )
    assert (await cases.snapshot(c2)).state == "materials_sent"
