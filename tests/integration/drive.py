"""Drive a case through the council to its answer, every act dated the case's own today."""

from __future__ import annotations

from typing import Any

from edge.cases import CaseService
from models.case.record import ActResult
from models.case.states import Role
from tests.factories import act, actor, document

SESSION_ID = "drive-1"


async def to_answer(
    gateway: CaseService,
    *,
    conditions: list[dict[str, Any]] | None = None,
    **doc: Any,
) -> ActResult:
    """A new case, decided (with ``conditions`` if any) and answered today. The policy must
    allow a session today (lead times of 0 business days)."""
    snap = await gateway.create_case(document=document(**doc), actor=actor("department", "担当"))
    case_id = snap.case_id
    today = (await gateway.snapshot(case_id)).business_today
    assert today is not None
    session = {
        "session_id": SESSION_ID,
        "council": "個人情報保護審議会",
        "held_on": today.isoformat(),
    }
    decision: dict[str, Any] = {"outcome": "approve", "votes": {"yes": 6}}
    if conditions:
        decision = {**decision, "outcome": "approve_with_conditions", "conditions": conditions}
    steps: list[tuple[str, Role, dict[str, Any]]] = [
        ("submit", Role.department, {}),
        ("require_consultation", Role.secretariat, {"reason": "外部結合のため"}),
        ("pass_precheck", Role.it, {"items": [{"check_id": "C1", "result": "conforming"}]}),
        ("schedule", Role.secretariat, {"session": session}),
        ("send_materials", Role.secretariat, {}),
        ("open_deliberation", Role.chair, {"seats": 10, "present": 7}),
        ("decide", Role.council, decision),
        ("issue_answer", Role.chair, {"number": "第901号"}),
    ]
    result: ActResult | None = None
    for trigger, role, payload in steps:
        result = await gateway.act(case_id, act(trigger, role, payload))
    assert result is not None
    return result
