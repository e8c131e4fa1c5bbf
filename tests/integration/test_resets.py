"""Resets leave a trace: a case reset with the Temporal CLI itself (`temporal workflow reset`,
by event id and to the first workflow task) meets the reset in its own history, shows it on
its timeline, rewrites its read-model rows and records it in the audit trail; the reset run's
history replays against today's code. A session is reset by the admin console's rule (dry run,
reason, audit, reconcile) and meets its resets the same way. The admin console's reset of a
case is in test_admin_console."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from edge.admin import AdminService
from edge.connect import Edge
from models.admin import Subject
from models.calendar.wareki import DateStyle
from models.case.record import CaseSnapshot
from models.errors import InvalidPayload
from models.ids import case_workflow_id, session_workflow_id
from models.session.record import AddItems, SessionAct
from tests.factories import act, actor
from tests.integration.conftest import TEMPORAL_BIN, System, municipality
from tests.integration.councils import POLICY, session_held_today
from tests.integration.polling import until
from tests.integration.test_admin_console import ADMIN, _case_in_precheck, _transitions
from tests.integration.test_cli import cli
from tests.integration.test_sessions import council, ready_case
from tests.keys import TEST_CONVERTER
from web.routes.cases import timeline
from workflows import ALL_WORKFLOWS, workflow_runner


async def temporal_reset(system: System, workflow_id: str, *how: str) -> None:
    """`temporal workflow reset` as an operator types it, against the test server."""
    address = system.client.service_client.config.target_host
    proc = await asyncio.create_subprocess_exec(
        str(TEMPORAL_BIN),
        *("workflow", "reset", "--address", address, "-w", workflow_id),
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

    await temporal_reset(system, case_workflow_id(case_id), "--event-id", str(point.reset_event_id))
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
    await temporal_reset(system, case_workflow_id(case_id), "--type", "FirstWorkflowTask")
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


async def test_a_session_is_reset_to_an_earlier_act_with_a_dry_run_by_the_same_rule(
    system: System,
) -> None:
    """The case's reset, for a session: its acts as points (its version), the dry run, the
    reason, the Temporal reset, the session's row reconciled and the audit record; the CLI
    too (--session)."""
    edge = Edge(system.client, system.settings, municipality(POLICY))
    admin = AdminService(edge, system.engine)
    council_id = f"c{uuid.uuid4().hex[:8]}"
    await edge.councils.register(council(council_id))
    session_id = await session_held_today(edge, council_id)
    case_id = await ready_case(edge.cases, "庁内LAN端末の更新")
    secretariat = SessionAct(actor=actor("secretariat", "総務課"))
    await edge.sessions.act(
        session_id, "add_items", AddItems(actor=secretariat.actor, case_ids=[case_id])
    )
    await edge.sessions.act(session_id, "send_notice", secretariat)
    await edge.sessions.act(session_id, "send_materials", secretariat)
    assert (await edge.sessions.record(session_id)).version == 3

    points = await admin.reset_points(session_id, subject=Subject.session)
    assert [(p.seq, p.trigger) for p in points] == [
        (0, "add_items"),
        (1, "send_notice"),
        (2, "send_materials"),
    ]
    plan = await admin.reset_plan(session_id, 2, subject=Subject.session)
    assert (plan.subject, plan.state_now, plan.state_after) == (
        "session",
        "materials_sent",
        "notice_sent",
    )
    assert [(t.seq, t.trigger) for t in plan.replayed] == [
        (0, None),
        (1, "add_items"),
        (2, "send_notice"),
    ]
    assert [(t.seq, t.trigger, t.dest) for t in plan.undone] == [
        (3, "send_materials", "materials_sent")
    ]
    assert any(case_id in note for note in plan.notes)  # its case keeps what was done to it
    assert (await edge.sessions.record(session_id)).version == 3  # the dry run changed nothing
    with pytest.raises(InvalidPayload, match="reason: required"):
        await admin.reset(session_id, 2, ADMIN, "", subject=Subject.session)
    with pytest.raises(InvalidPayload, match="seq: 3 is the session's latest act"):
        await admin.reset_plan(session_id, 3, subject=Subject.session)

    code, out, err = await cli(
        system, "admin", "reset", session_id, "--session", "--to", "2", "--reason", "資料差替え"
    )
    assert code == 0, err
    assert f"session {session_id}: materials_sent → notice_sent" in out
    record = await edge.sessions.record(session_id)
    assert (record.state, record.version) == ("notice_sent", 2)
    assert system.sql(
        "select state, version from sessions where session_id = :s", s=session_id
    ) == [("notice_sent", 2)]
    [(detail,)] = system.sql(
        "select detail from audit_records where action = 'admin_action' and detail like :d",
        d=f"reset session:{session_id}%",
    )
    assert "to act 2: materials_sent → notice_sent" in str(detail)
    assert "資料差替え" in str(detail)
    # the session met the reset itself: in its record, its warnings and the audit trail
    [mark] = record.resets
    assert (mark.version, mark.state, mark.rows_repaired) == (2, "notice_sent", 2)
    assert any(w.code == "reset" for w in record.warnings)
    engine_records = system.sql(
        "select actor, detail from audit_records where action = 'session_reset'"
    )
    assert [(a, str(d).split(" at ")[0]) for a, d in engine_records] == [
        ("engine", f"session {session_id}: reset to act 2 (notice_sent)")
    ]
    # the session goes on from there
    again = await edge.sessions.act(session_id, "send_materials", secretariat)
    assert again.state == "materials_sent"

    # a reset with the Temporal CLI is met the same way, and its row follows
    [*_, point] = await admin.reset_points(session_id, subject=Subject.session)
    assert (point.seq, point.trigger) == (2, "send_materials")
    await temporal_reset(
        system, session_workflow_id(session_id), "--event-id", str(point.reset_event_id)
    )
    record = await until(
        lambda: edge.sessions.record(session_id),
        lambda r: len(r.resets) == 2 and r.resets[-1].rows_repaired is not None,
        timeout=30,
        what="the session meeting the second reset",
    )
    assert (record.state, record.version) == ("notice_sent", 2)
    assert system.sql(
        "select state, version from sessions where session_id = :s", s=session_id
    ) == [("notice_sent", 2)]
    assert len(system.sql("select seq from audit_records where action = 'session_reset'")) == 2
    assert admin.audit.verify().ok
