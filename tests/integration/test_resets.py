"""Resets leave a trace: a case reset with the Temporal CLI itself (`temporal workflow reset`,
by event id and to the first workflow task) meets the reset in its own history, shows it on
its timeline, rewrites its read-model rows and records it in the audit trail; the reset run's
history replays against today's code. The admin console's reset is in test_admin_console."""

from __future__ import annotations

import asyncio

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from edge.admin import AdminService
from edge.connect import Edge
from models.calendar.wareki import DateStyle
from models.case.record import CaseSnapshot
from models.ids import case_workflow_id
from tests.factories import act
from tests.integration.conftest import TEMPORAL_BIN, System
from tests.integration.polling import until
from tests.integration.test_admin_console import _case_in_precheck, _transitions
from tests.keys import TEST_CONVERTER
from web.routes.cases import timeline
from workflows import ALL_WORKFLOWS, workflow_runner


async def temporal_reset(system: System, case_id: str, *how: str) -> None:
    """`temporal workflow reset` as an operator types it, against the test server."""
    address = system.client.service_client.config.target_host
    proc = await asyncio.create_subprocess_exec(
        str(TEMPORAL_BIN),
        *("workflow", "reset", "--address", address, "-w", case_workflow_id(case_id)),
        *("--reason", "operator test", "--reapply-exclude", "All", *how),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()


async def met_reset(system: System, case_id: str, seq: int) -> CaseSnapshot:
    """The snapshot once the case has met a reset to ``seq`` and repaired its rows."""
    return await until(
        lambda: system.gateway.snapshot(case_id),
        lambda s: (
            bool(s.resets) and s.resets[-1].seq == seq and s.resets[-1].rows_repaired is not None
        ),
        timeout=30,
        what=f"the case meeting a reset to transition {seq}",
    )


async def replays(system: System, case_id: str) -> None:
    handle = system.client.get_workflow_handle(case_workflow_id(case_id))
    history: WorkflowHistory = await handle.fetch_history()
    replayer = Replayer(
        workflows=ALL_WORKFLOWS, workflow_runner=workflow_runner(), data_converter=TEST_CONVERTER
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, repr(result.replay_failure)


def reset_records(system: System, case_id: str) -> list[tuple[object, ...]]:
    return system.sql(
        "select actor, role, source, detail from audit_records "
        "where action = 'case_reset' and case_id = :c",
        c=case_id,
    )


async def test_a_temporal_cli_reset_is_met_by_the_case_recorded_and_repaired(
    system: System,
) -> None:
    admin = AdminService(
        Edge(system.client, system.settings, system.gateway.municipality), system.engine
    )
    case_id = await _case_in_precheck(system)
    [_, point] = await admin.reset_points(case_id)
    assert point.seq == 1
    assert (await system.gateway.snapshot(case_id)).resets == []

    await temporal_reset(system, case_id, "--event-id", str(point.reset_event_id))
    snap = await met_reset(system, case_id, 1)
    [mark] = snap.resets
    assert (mark.seq, mark.state, mark.rows_repaired) == (1, "triage", 2)  # a row, its case row
    assert snap.state == "triage" and [t.seq for t in snap.history] == [0, 1]
    # the read model follows without anybody running reconcile
    assert system.sql("select state, seq from cases where case_id = :c", c=case_id) == [
        ("triage", 1)
    ]
    assert _transitions(system, case_id) == [(0, "draft"), (1, "triage")]
    [(who, role, source, detail)] = reset_records(system, case_id)
    assert (who, role, source) == ("engine", "engine", "temporal")
    assert detail.startswith("reset to transition 1 (triage) at ")  # type: ignore[union-attr]
    assert "2 read-model row(s) repaired" in detail  # type: ignore[operator]
    assert admin.audit.verify().ok
    # the desk's timeline shows it between the acts it kept and the ones that follow
    again = await system.gateway.act(
        case_id, act("require_consultation", "secretariat", {"reason": "再判定"})
    )
    assert again.seq == 2
    snap = await system.gateway.snapshot(case_id)
    whats = [e["what"] for e in timeline(snap, DateStyle.seireki)]
    assert len(whats) == 4 and whats[1] == "リセット(遷移 1 の後へ戻る)", whats
    assert len(snap.resets) == 1  # replayed, not met again
    assert _transitions(system, case_id) == [(0, "draft"), (1, "triage"), (2, "precheck")]
    await replays(system, case_id)

    # a second reset, to the run's very first workflow task: back to the draft. The first
    # reset was after that point, so the case's history no longer has it; the trail does.
    await temporal_reset(system, case_id, "--type", "FirstWorkflowTask")
    snap = await met_reset(system, case_id, 0)
    assert [(m.seq, m.state) for m in snap.resets] == [(0, "draft")], snap.resets
    assert snap.state == "draft"
    assert _transitions(system, case_id) == [(0, "draft")]
    assert system.sql("select state, seq from cases where case_id = :c", c=case_id) == [
        ("draft", 0)
    ]
    assert len(reset_records(system, case_id)) == 2
    assert admin.audit.verify().ok
    await replays(system, case_id)
