"""The admin console's engine work on the real dev server: a reset and its dry run; workflows
whose task fails (an input that cannot be decoded, non-determinism) listed with their error;
reconcile repairing a deleted row, a stale row and an orphan (cases and sessions); batch retry
of parked steps; a session's failed documents as parked steps; the same through the CLI."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from temporalio import workflow
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

import tests.integration.test_documents as test_documents
from edge.admin import AdminCaller, AdminService
from edge.connect import Edge
from models.admin import AdminVerb, Subject
from models.errors import GuardFailed, InvalidPayload
from models.ids import case_workflow_id
from tests.factories import TEST_ADMIN, act, actor, document
from tests.integration.conftest import System
from tests.integration.polling import until
from tests.integration.test_cli import cli
from tests.integration.test_failed_steps import read_model_locked

ADMIN = AdminCaller(TEST_ADMIN, "test")


def admin_of(system: System) -> AdminService:
    edge = Edge(system.client, system.settings, system.gateway.municipality)
    return AdminService(edge, system.engine)


async def _case_in_precheck(system: System) -> str:
    snap = await system.gateway.create_case(document=document(), actor=actor("department"))
    await system.gateway.act(snap.case_id, act("submit", "department"))
    await system.gateway.act(
        snap.case_id, act("require_consultation", "secretariat", {"reason": "外部結合のため"})
    )
    return snap.case_id


def _transitions(system: System, case_id: str) -> list[tuple[object, ...]]:
    return system.sql(
        "select seq, dest from case_transitions where case_id = :c order by seq", c=case_id
    )


@pytest.mark.both_dbs
async def test_reset_dry_run_changes_nothing_and_the_reset_undoes_the_later_acts(
    system: System, caplog: pytest.LogCaptureFixture
) -> None:
    admin = admin_of(system)
    case_id = await _case_in_precheck(system)
    points = await admin.reset_points(case_id)
    assert [(p.seq, p.trigger) for p in points] == [(0, "submit"), (1, "require_consultation")]

    plan = await admin.reset_plan(case_id, 1)
    assert (plan.state_now, plan.state_after) == ("precheck", "triage")
    assert [t.seq for t in plan.replayed] == [0, 1]
    assert [(t.seq, t.trigger, t.dest) for t in plan.undone] == [
        (2, "require_consultation", "precheck")
    ]
    assert plan.read_model_rows_to_delete == 1 and plan.events_dropped > 0
    # the dry run left the case and its rows as they were
    assert (await system.gateway.snapshot(case_id)).state == "precheck"
    assert _transitions(system, case_id) == [(0, "draft"), (1, "triage"), (2, "precheck")]

    with pytest.raises(InvalidPayload, match="reason: required"):
        await admin.reset(case_id, 1, ADMIN, "  ")
    with pytest.raises(InvalidPayload, match="seq: 2 is the case's latest"):
        await admin.reset_plan(case_id, 2)

    with pytest.raises(GuardFailed, match="moved since the dry run"):
        await admin.reset(case_id, 1, ADMIN, "古い試行のまま", seen_latest=3)
    assert (await system.gateway.snapshot(case_id)).state == "precheck"
    with caplog.at_level(logging.INFO, logger="toshin.admin"):
        done = await admin.reset(
            case_id,
            1,
            AdminCaller(TEST_ADMIN.model_copy(update={"username": "yamada"}), "127.0.0.1"),
            "誤って事前確認へ進めたため",
            seen_latest=2,
        )
    recorded = [r.getMessage() for r in caplog.records if r.name == "toshin.admin"]
    assert recorded == [f"admin reset on case:{case_id}: to transition 1: precheck → triage, "
                        "1 transition(s) undone, 2 row(s) repaired"]  # fmt: skip
    assert "山田" not in caplog.text and "誤って" not in caplog.text  # no name, no free text
    # who and why are in the audit trail, and the rows the reset rewrote are sealed
    assert admin.audit.verify().ok
    records = system.sql("select actor, action, case_id, detail from audit_records")
    # the case met the reset itself (engine record), then the admin's action was recorded
    assert [r[:3] for r in records] == [
        ("engine", "case_reset", case_id),
        ("yamada", "admin_action", case_id),
    ]
    assert str(records[0][3]).startswith("reset to transition 1 (triage) at ")
    assert "誤って事前確認へ進めたため" in records[1][3]
    assert done.new_run_id != plan.run_id
    snap = await system.gateway.snapshot(case_id)
    assert snap.state == "triage" and [t.seq for t in snap.history] == [0, 1]
    assert [(m.seq, m.state, m.rows_repaired) for m in snap.resets] == [(1, "triage", 2)]
    assert system.sql("select state, seq from cases where case_id = :c", c=case_id) == [
        ("triage", 1)
    ]
    assert _transitions(system, case_id) == [(0, "draft"), (1, "triage")]
    # the case repaired its rows itself; the reconcile after it found nothing left
    assert (done.case_repaired, done.reconcile.changed) == (2, 0)

    # the case goes on from there, and the read model follows it again
    again = await system.gateway.act(
        case_id, act("require_consultation", "secretariat", {"reason": "再判定"})
    )
    assert again.state == "precheck" and again.seq == 2
    assert system.sql("select state, seq from cases where case_id = :c", c=case_id) == [
        ("precheck", 2)
    ]


async def test_a_workflow_started_with_an_input_no_model_accepts_fails_at_once(
    system: System,
) -> None:
    """Not a task failing for ever (nothing to list then): the start fails the workflow with
    the field the case input lacks, and no value of the bogus input is echoed."""
    admin = admin_of(system)
    workflow_id = case_workflow_id(uuid.uuid4().hex[:12])
    handle = await system.client.start_workflow(
        "CaseWorkflow",
        {"not": "a case input"},
        id=workflow_id,
        task_queue=system.settings.task_queue,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidPayload", cause
    assert "document" in cause.message and "a case input" not in cause.message
    assert workflow_id not in [f.workflow_id for f in await admin.failing()]


@pytest.mark.both_dbs
async def test_reconcile_repairs_a_deleted_row_a_stale_row_and_an_orphan(system: System) -> None:
    admin = admin_of(system)
    missing = await _case_in_precheck(system)
    stale = await _case_in_precheck(system)
    orphan = await _case_in_precheck(system)
    with system.engine.begin() as conn:
        conn.execute(text("delete from case_transitions where case_id = :c"), {"c": missing})
        conn.execute(text("delete from cases where case_id = :c"), {"c": missing})
        conn.execute(
            text("update cases set state = 'draft', seq = 0 where case_id = :c"), {"c": stale}
        )
        conn.execute(
            text("delete from case_transitions where case_id = :c and seq = 1"), {"c": stale}
        )
    await system.client.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=system.client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=case_workflow_id(orphan)),
        )
    )
    await until(
        lambda: admin.reconciler._gone(case_workflow_id(orphan)),
        bool,
        timeout=30,
        what="the deleted workflow gone",
        every=0.2,
    )

    ended = uuid.uuid4().hex[:12]  # a closed case whose history Temporal let go (retention)
    with system.engine.begin() as conn:
        conn.execute(
            text(
                "insert into cases (case_id, title, kind, category, department, state, "
                "fiscal_year, seq, updated_at) values (:c, '過去の案件', 'outsourcing', "
                "'consultation', '市民課', 'closed', 2019, 9, '2020-03-31 00:00:00')"
            ),
            {"c": ended},
        )

    report = await admin.reconcile(ADMIN, "週次の照合")
    assert (report.missing, report.stale, report.orphaned, report.retained) == (1, 1, 1, 1)
    assert system.sql("select state from cases where case_id = :c", c=ended) == [("closed",)]
    assert sorted(report.repaired) == sorted(
        [f"case {missing}: missing", f"case {stale}: stale", f"case {orphan}: orphaned"]
    )
    for case_id in (missing, stale):
        assert system.sql("select state, seq from cases where case_id = :c", c=case_id) == [
            ("precheck", 2)
        ]
        assert _transitions(system, case_id) == [(0, "draft"), (1, "triage"), (2, "precheck")]
    assert system.sql("select count(*) from cases where case_id = :c", c=orphan) == [(0,)]
    assert _transitions(system, orphan) == []

    again = await admin.reconcile(ADMIN, "再確認")
    assert again.changed == 0 and again.cases_checked == 2


async def test_batch_retry_shows_what_it_touches_then_retries_each(system: System) -> None:
    admin = admin_of(system)
    with read_model_locked(system):
        first = await system.gateway.create_case(document=document(), actor=actor("department"))
        second = await system.gateway.create_case(document=document(), actor=actor("department"))
        entries = await until(
            admin.parked,
            lambda found: len(found) == 2,
            timeout=10,
            what="both cases parked",
        )
    assert {e.subject_id for e in entries} == {first.case_id, second.case_id}
    assert {e.cause for e in entries} == {
        "project_transition: OperationalError: database is locked"
    }
    targets = [f"case:{first.case_id}", f"case:{second.case_id}", "case:000000000000"]
    preview = await admin.preview_batch(targets)
    assert preview.touches == 2 and preview.not_parked == ["case:000000000000"]
    with pytest.raises(InvalidPayload, match="reason"):
        await admin.batch_retry(targets, ADMIN, "")
    assert len(await admin.parked()) == 2  # the refused batch changed nothing

    result = await admin.batch_retry(targets, ADMIN, "ロック解除後に一括再実行")
    assert sorted(result.retried) == sorted(targets[:2]) and not result.still_parked
    assert await admin.parked() == []
    snap = await system.gateway.snapshot(first.case_id)
    assert [(a.action, a.reason) for a in snap.admin_log] == [("retry", "ロック解除後に一括再実行")]
    with pytest.raises(InvalidPayload, match="only be retried"):
        await admin.repair(AdminVerb.skip, Subject.session, "s-1", ADMIN, "x")


async def test_the_cli_resets_with_a_dry_run_and_reconciles(system: System) -> None:
    case_id = await _case_in_precheck(system)
    code, out, err = await cli(system, "admin", "reset", case_id)
    assert code == 0, err
    assert "--to 1: undoes require_consultation" in out

    code, out, err = await cli(
        system, "admin", "reset", case_id, "--to", "1", "--dry-run", "--json"
    )
    assert code == 0, err
    plan = json.loads(out)
    assert (plan["state_now"], plan["state_after"]) == ("precheck", "triage")
    assert [t["seq"] for t in plan["undone"]] == [2]
    assert (await system.gateway.snapshot(case_id)).state == "precheck"

    code, out, err = await cli(system, "admin", "reset", case_id, "--to", "1")
    assert code == 1
    assert err.strip() == "error: InvalidPayload: reason: required (why this admin action is taken)"
    assert (await system.gateway.snapshot(case_id)).state == "precheck"

    code, out, err = await cli(
        system, "admin", "reset", case_id, "--to", "1", "--reason", "差戻しのため"
    )
    assert code == 0, err
    assert "precheck → triage" in out and "2 row(s) repaired" in out
    assert system.sql("select state from cases where case_id = :c", c=case_id) == [("triage",)]

    code, out, err = await cli(
        system, "admin", "retry-batch", f"case:{case_id}", "--reason", "一括", "--dry-run"
    )
    assert code == 0, err
    assert out.strip() == f"touches 0: 0 case(s), 0 session(s); not parked: case:{case_id}"
    code, out, err = await cli(system, "admin", "retry-batch", f"case:{case_id}", "--reason", " ")
    assert code == 1 and err.strip() == (
        "error: InvalidPayload: reason: required (why this admin action is taken)"
    )

    with system.engine.begin() as conn:
        conn.execute(text("update cases set state = 'draft' where case_id = :c"), {"c": case_id})
    code, out, err = await cli(system, "admin", "reconcile", "--json")
    assert code == 0, err
    assert json.loads(out)["stale"] == 1
    assert system.sql("select state from cases where case_id = :c", c=case_id) == [("triage",)]


docs = test_documents.docs


async def test_a_sessions_failed_documents_are_parked_steps_and_sessions_are_reconciled(
    docs: System,
) -> None:
    admin = admin_of(docs)
    page = docs.settings.templates_dir / "html" / "kaigiroku.html"
    good = page.read_text()
    page.write_text(good.replace("{{ row.value }}", "{{ row.valeu }}"))
    session_id = (
        await test_documents.run_scenario(docs, "sessions/h_higashimurayama_closed_session.yaml")
    )["h22_3"]
    entries = [e for e in await admin.parked() if e.subject is Subject.session]
    assert [(e.subject_id, e.step) for e in entries] == [
        (session_id, "generate_document kaigiroku"),
        (session_id, "generate_document kaigiroku_public"),
    ]
    assert entries[0].actions == [AdminVerb.retry]
    assert "missing field 'valeu'" in entries[0].cause
    with pytest.raises(InvalidPayload, match="only be retried"):
        await admin.repair(AdminVerb.skip, Subject.session, session_id, ADMIN, "不要")

    page.write_text(good)
    done = await admin.repair(AdminVerb.retry, Subject.session, session_id, ADMIN, "修正済み")
    assert done.still_failing is None
    assert [e for e in await admin.parked() if e.subject is Subject.session] == []
    assert len(test_documents.rows(docs, session_id)) == 4

    # a stale session row, a missing one and an orphan: reconcile repairs each
    [(version,)] = docs.sql("select version from sessions where session_id = :s", s=session_id)
    others = [
        sid
        for (sid,) in docs.sql(
            "select session_id from sessions where session_id != :s", s=session_id
        )
    ]
    with docs.engine.begin() as conn:
        conn.execute(
            text("update sessions set state = 'planned', version = 1 where session_id = :s"),
            {"s": session_id},
        )
        for sid in others:
            conn.execute(text("delete from session_items where session_id = :s"), {"s": sid})
            conn.execute(text("delete from sessions where session_id = :s"), {"s": sid})
        conn.execute(
            text(
                "insert into sessions (session_id, council_id, fiscal_year, ordinal, held_on, "
                "starts_at, state, item_count, warning_count, version, updated_at) values "
                "('gone-2099-1', 'gone', 2099, 1, '2099-04-01', '2099-04-01 10:00:00', "
                "'planned', 0, 0, 1, '2099-04-01 10:00:00')"
            )
        )
    report = await admin.reconcile(ADMIN, "照合")
    assert (report.stale, report.missing, report.orphaned) == (1, len(others), 1)
    assert f"session {session_id}: stale" in report.repaired
    assert "session gone-2099-1: orphaned" in report.repaired
    assert docs.sql("select state, version from sessions where session_id = :s", s=session_id) == [
        ("closed", version)
    ]
    assert docs.sql("select count(*) from sessions where session_id = 'gone-2099-1'") == [(0,)]


CHANGED_CODE = {"since_start": False}


@workflow.defn(sandboxed=False)
class ChangingWorkflow:
    """A workflow whose code changes under a running history: the timer its history has is
    no longer scheduled, so its next workflow task fails with non-determinism."""

    def __init__(self) -> None:
        self.poked = False

    @workflow.run
    async def run(self) -> None:
        if not CHANGED_CODE["since_start"]:  # the history has this timer; changed code not
            await workflow.wait_condition(lambda: self.poked, timeout=dt.timedelta(hours=1))
            return
        await workflow.wait_condition(lambda: self.poked)

    @workflow.signal
    def poke(self) -> None:
        self.poked = True


async def test_a_non_deterministic_workflow_is_listed_with_its_error(
    system: System, executor: ThreadPoolExecutor
) -> None:
    task_queue = f"tq-{uuid.uuid4().hex}"
    settings = system.settings.model_copy(update={"task_queue": task_queue})
    admin = AdminService(Edge(system.client, settings, system.gateway.municipality), system.engine)
    CHANGED_CODE["since_start"] = False
    async with Worker(
        system.client,
        task_queue=task_queue,
        workflows=[ChangingWorkflow],
        max_cached_workflows=0,
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await system.client.start_workflow(
            ChangingWorkflow.run, id=f"changing-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )
        await until(
            handle.describe,
            lambda d: not d.raw_description.HasField("pending_workflow_task"),
            timeout=10,
            what="the first workflow task done",
        )
        CHANGED_CODE["since_start"] = True
        try:
            await handle.signal(ChangingWorkflow.poke)
            failing = await until(
                admin.failing,
                lambda found: any(f.workflow_id == handle.id for f in found),
                timeout=30,
                what="the changed workflow failing",
                every=0.5,
            )
        finally:
            CHANGED_CODE["since_start"] = False
            await handle.terminate("test over")
    [changed] = failing
    assert changed.workflow_type == "ChangingWorkflow"
    assert changed.cause == "NON_DETERMINISTIC_ERROR"
    assert "No command scheduled for event" in changed.error and "TimerStarted" in changed.error
