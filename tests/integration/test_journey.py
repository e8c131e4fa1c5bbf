"""A whole journey on the real server, projected into the read model (SQLite and, when
reachable, PostgreSQL), visible through search attributes, across continue-as-new."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from edge.cases import CaseService
from models.case.record import CaseSnapshot
from models.ids import case_workflow_id
from models.policy import CasePolicy
from tests.factories import act, actor, document
from tests.integration.conftest import FAST_POLICY, System, municipality
from tests.integration.polling import until

D = dt.date
SESSION = {
    "session_id": "2018-3",
    "council": "情報公開・個人情報保護審議会",
    "held_on": "2018-02-07",
}
CONDITION = {
    "text": "データセンターを国内とすることを契約に盛り込む",
    "type": "contract_clause",
    "due": "before_contract",
    "owner": "保健センター",
}
JOURNEY: list[tuple[str, str, dict[str, Any], dt.date, str]] = [
    ("submit", "department", {}, D(2018, 1, 5), "triage"),
    (
        "require_consultation",
        "secretariat",
        {"reason": "外部結合 (条例)"},
        D(2018, 1, 9),
        "precheck",
    ),
    (
        "pass_precheck",
        "it",
        {"items": [{"check_id": "C1", "result": "conforming"}]},
        D(2018, 1, 12),
        "ready",
    ),
    ("schedule", "secretariat", {"session": SESSION}, D(2018, 1, 15), "scheduled"),
    ("send_materials", "secretariat", {}, D(2018, 1, 29), "materials_sent"),
    ("open_deliberation", "chair", {"seats": 10, "present": 8}, D(2018, 2, 7), "deliberating"),
    (
        "decide",
        "council",
        {
            "outcome": "approve_with_conditions",
            "votes": {"yes": 8},
            "conditions": [CONDITION],
            "opinions": [{"text": "データセンターの所在地の明記を検討すること"}],
        },
        D(2018, 2, 7),
        "answer_drafting",
    ),
    ("issue_answer", "chair", {"number": "第12号"}, D(2018, 2, 20), "conditions_pending"),
    (
        "conditions_fulfilled",
        "secretariat",
        {"verified": [{"condition": 1, "evidence": "契約書第15条"}]},
        D(2018, 3, 1),
        "active",
    ),
]


async def _drive(gateway: CaseService) -> str:
    doc = document(planned_start={"year": 2018, "month": 4, "jun": "early"})
    snap = await gateway.create_case(
        document=doc, actor=actor("department", "島田"), created_on=D(2018, 1, 5)
    )
    for trigger, role, payload, on, expected in JOURNEY:
        result = await gateway.act(snap.case_id, act(trigger, role, payload, on=on))
        assert result.state == expected, trigger
        assert result.parked is None
    return snap.case_id


@pytest.mark.both_dbs
async def test_journey_to_active_is_projected(system: System) -> None:
    case_id = await _drive(system.gateway)
    snap = await system.gateway.snapshot(case_id)
    # issue_answer is followed by the engine's apply_outcome in the same update
    assert [h.trigger for h in snap.history][-3:] == [
        "issue_answer",
        "apply_outcome",
        "conditions_fulfilled",
    ]
    assert snap.history[-2].actor.role == "engine"
    assert snap.fiscal_year == 2017  # created 2018-01-05: 平成29年度
    rows = system.sql(
        "select state, seq, fiscal_year, department from cases where case_id = :c", c=case_id
    )
    assert rows == [("active", len(JOURNEY) + 1, 2017, "保健センター")]
    log = system.sql(
        "select seq, trigger, source, dest, actor_role, reason from case_transitions "
        "where case_id = :c order by seq",
        c=case_id,
    )
    assert [r[0] for r in log] == list(range(len(JOURNEY) + 2))
    assert log[2][1:] == (
        "require_consultation",
        "triage",
        "precheck",
        "secretariat",
        "外部結合 (条例)",
    )
    assert log[-1][-1] == "条件1: 契約書第15条"


async def test_search_attributes_follow_the_case(system: System) -> None:
    case_id = await _drive(system.gateway)
    query = (
        f"WorkflowId = '{case_workflow_id(case_id)}' AND CaseState = 'active' "
        "AND Department = '保健センター' AND CaseKind = 'external_linkage' AND FiscalYear = 2017"
    )
    # visibility follows the workflow within milliseconds; count_workflows returns an object
    # (compared with 1 it is never equal): poll on its .count
    await until(
        lambda: system.client.count_workflows(query),
        lambda got: got.count == 1,
        timeout=10,
        what=f"one workflow for {query}",
    )


async def _continued(gateway: CaseService, case_id: str, *, past: int) -> CaseSnapshot:
    """The snapshot once the case has continued as new beyond run ``past``: it does so in a
    quiet task of its own, a moment after the last act."""
    for _ in range(100):
        snap = await gateway.snapshot(case_id)
        if snap.run_count > past:
            return snap
        await asyncio.sleep(0.1)
    raise AssertionError(f"case {case_id} still in run {snap.run_count}")


async def test_long_history_continues_as_new_and_keeps_everything(system: System) -> None:
    policy = CasePolicy(**{**FAST_POLICY.model_dump(), "history_event_limit": 20})
    gateway = CaseService(system.client, system.settings, municipality(policy))
    case_id = await _drive(gateway)
    handle = system.client.get_workflow_handle(case_workflow_id(case_id))
    snap = await _continued(gateway, case_id, past=1)
    assert snap.state == "active"
    assert len(snap.history) == len(JOURNEY) + 2
    history = await handle.fetch_history()
    assert len(history.events) < 60  # this run only; earlier runs hold the rest
    # the case keeps working after the new run started
    closed = await gateway.act(case_id, act("close", "department", {"end_duties": ["消去証明書"]}))
    assert closed.state == "closed"


async def test_acts_racing_a_continue_as_new_all_land(system: System) -> None:
    """Acts that arrive while the case continues as new are not lost: the server aborts them
    as retryable and they land on the new run (a person never sees the run change)."""
    policy = CasePolicy(**{**FAST_POLICY.model_dump(), "history_event_limit": 20})
    gateway = CaseService(system.client, system.settings, municipality(policy))
    case_id = await _drive(gateway)
    before = (await gateway.snapshot(case_id)).run_count

    def log_review(i: int) -> dict[str, object]:
        return {
            "obligation": {
                "id": f"log-{i}",
                "kind": "access_log_review",
                "anchor": (dt.date.today() + dt.timedelta(days=400)).isoformat(),
                "every_months": 3,
            }
        }

    results = await asyncio.gather(
        *(
            gateway.act(case_id, act("add_obligation", "secretariat", log_review(i)))
            for i in range(12)
        )
    )
    assert len(results) == 12  # every act answered (gather raises on the first refusal)
    snap = await _continued(gateway, case_id, past=before)
    assert sorted(o.obligation.id for o in snap.obligations) == sorted(
        f"log-{i}" for i in range(12)
    )
    seqs = [rec.seq for rec in snap.history]
    assert len(seqs) == len(set(seqs))
