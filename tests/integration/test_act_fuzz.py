"""Generated act payloads (``tests.strategies``) as real updates to real case workflows on the
dev server, straight to the workflow (past the edge, as a caller that skips it would): each
is accepted and applied (its transition is in the history) or refused with a typed error
(``models.errors.ErrorType``) and changes nothing, and no workflow task ever fails.

Each update goes to one of four cases in turn (draft, deliberating, conditions pending,
active), with a trigger the case allows now (one time in five any trigger) in a role the table
gives it, and a payload hypothesis drew from the trigger's strategy beforehand (the cases'
states change as acts are accepted, so the draws cannot depend on them)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from models.case.lifecycle import PAYLOADS, TERMINAL, roles_for
from models.case.record import ActInput, ActResult
from models.case.states import Trigger
from models.errors import ErrorType
from models.ids import case_workflow_id
from tests.factories import act, actor, document
from tests.fuzzing import PROFILE, TIMEOUT_SECONDS, examples
from tests.integration.conftest import System
from tests.integration.test_edge_refusals import TO_ACTIVE, D
from tests.strategies import ACT_PAYLOADS, drawn
from workflows.case import CaseWorkflow

pytestmark = pytest.mark.timeout(TIMEOUT_SECONDS)
UPDATE_SECONDS = 60  # an update that has not answered by then waits on a failing task
CONDITIONS = {
    "outcome": "approve_with_conditions",
    "votes": {"yes": 8},
    "conditions": [{"text": "報告", "type": "report", "due": "before_start", "owner": "課"}],
}


async def _case(system: System, steps: list[tuple[str, str, dict[str, Any], Any]]) -> str:
    snap = await system.gateway.create_case(
        document=document(), actor=actor("department"), created_on=D(2018, 1, 4)
    )
    for trigger, role, payload, on in steps:
        await system.gateway.act(snap.case_id, act(trigger, role, payload, on))
    return snap.case_id


async def test_generated_payloads_are_applied_or_refused_typed_and_no_task_fails(
    system: System,
) -> None:
    with_conditions = [*TO_ACTIVE[:6], ("decide", "council", CONDITIONS, D(2018, 2, 7)),
                       TO_ACTIVE[7]]  # fmt: skip
    starts = [[], TO_ACTIVE[:6], with_conditions, TO_ACTIVE]
    cases = [await _case(system, steps) for steps in starts]
    every_case = list(cases)
    pools = {trigger: drawn(ACT_PAYLOADS[trigger], examples(8)) for trigger in PAYLOADS}
    pick = random.Random(PROFILE)  # which case, trigger and role: the payloads are hypothesis's
    outcomes: Counter[str] = Counter()
    for n in range(examples(30, deep=600)):
        slot = n % len(cases)
        case_id = cases[slot]
        before = await system.gateway.snapshot(case_id)
        offered = [Trigger(a.trigger) for a in before.allowed]
        trigger = pick.choice(offered if offered and pick.random() < 0.8 else list(PAYLOADS))
        role = pick.choice(roles_for(trigger))
        pool = pools[trigger]
        payload = pool[n % len(pool)]
        raw = ActInput.model_construct(trigger=trigger, actor=actor(role), payload=payload, on=None)
        handle = system.client.get_workflow_handle(case_workflow_id(case_id))
        try:
            result = await asyncio.wait_for(
                handle.execute_update(CaseWorkflow.act, raw), UPDATE_SECONDS
            )
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            assert isinstance(cause, ApplicationError), repr(cause)
            assert cause.type in ErrorType.__members__, (cause.type, str(cause))
            outcomes[f"refused {cause.type}"] += 1
            after = await system.gateway.snapshot(case_id)
            assert len(after.history) == len(before.history), (trigger, payload)
            continue
        assert isinstance(result, ActResult)
        after = await system.gateway.snapshot(case_id)
        added = [r.trigger for r in after.history[len(before.history) :]]
        assert added[:1] == [trigger], (trigger, added)  # then the engine's own, if any
        assert after.history[-1].seq == result.seq
        outcomes["accepted"] += 1
        if after.state in TERMINAL:  # ended (closed, withdrawn): its last step archives it
            await handle.result()
            cases[slot] = await _case(system, starts[slot])  # then anew
            every_case.append(cases[slot])

    print(f"act fuzz: {sum(outcomes.values())} updates: {dict(sorted(outcomes.items()))}")
    assert outcomes["accepted"] >= 1
    assert sum(n for k, n in outcomes.items() if k.startswith("refused InvalidPayload")) >= 1
    for case_id in every_case:
        history = await system.client.get_workflow_handle(case_workflow_id(case_id)).fetch_history()
        failed = [
            e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
        ]
        assert failed == [], failed[0].workflow_task_failed_event_attributes
