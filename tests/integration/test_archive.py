"""Records kept for years: a case that ends is archived (its final snapshot and transition
log, sealed with the payload keyring) before its workflow completes, and stays visible after
the workflow is deleted from the engine."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx2 as httpx
import pytest
from pydantic import SecretStr
from sqlmodel import Session
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from activities.archive import ArchiveActivities
from edge.archive import ARCHIVE_READ, CaseArchive, payload_keyring
from edge.connect import Edge
from edge.reconcile import Reconciler
from models import search_attributes as sa
from models.accounts import UserRole
from models.archive import ArchiveCaseInput
from models.case.record import AdminInput, CaseSnapshot
from models.case.states import Role
from persistence.archive import get_archive, seal_context
from tests.conftest import SERVER_STARTUP
from tests.factories import act, actor, document
from tests.integration.conftest import TEMPORAL_BIN, System
from tests.integration.polling import until
from tests.integration.test_cli import cli
from tests.keys import TEST_AUDIT_SEALER, TEST_CONVERTER, TEST_KEYRING, TEST_KEYRING_ENV
from web.app import create_app

TITLE = "図書館利用者カードの外部結合"
ADMIN = actor(Role.admin, "運用管理者")


@pytest.fixture(scope="module")
async def temporal_env(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[WorkflowEnvironment]:
    """This module's own dev server, which deletes a closed workflow within about a second of
    being asked (its transfer queue's ack level moves every second, not every 30)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_startup_timeout=SERVER_STARTUP,
        dev_server_existing_path=str(TEMPORAL_BIN),
        dev_server_database_filename=str(tmp_path_factory.mktemp("archive") / "temporal.db"),
        dev_server_extra_args=[
            "--dynamic-config-value",
            'history.transferProcessorUpdateAckInterval="1s"',
        ],
        search_attributes=sa.ALL,
        data_converter=TEST_CONVERTER,
    )
    yield env
    await env.shutdown()


async def _ended_case(system: System) -> str:
    """A case withdrawn from draft: ended, its workflow completed."""
    snap = await system.gateway.create_case(
        document=document(title=TITLE), actor=actor("department")
    )
    await system.gateway.act(snap.case_id, act("withdraw", "department", {"reason": "取り下げ"}))
    result = await system.gateway.handle(snap.case_id).result()
    assert result["state"] == "withdrawn"
    return snap.case_id


async def test_an_ended_case_is_archived_sealed_and_once(system: System) -> None:
    case_id = await _ended_case(system)
    with Session(system.engine) as session:
        row = get_archive(session, case_id)
    assert row is not None and row.state == "withdrawn" and row.seq == 1
    assert TITLE.encode() not in row.record and "取り下げ".encode() not in row.record
    assert payload_keyring(system.client, system.settings) is TEST_KEYRING
    opened = CaseSnapshot.model_validate_json(TEST_KEYRING.open(row.record, seal_context(case_id)))
    assert opened.document.title == TITLE
    assert [(t.trigger, t.dest) for t in opened.history] == [
        (None, "draft"),
        ("withdraw", "withdrawn"),
    ]
    assert opened.history[-1].reason == "取り下げ"

    again = ArchiveActivities(system.engine, TEST_KEYRING).archive_case(
        ArchiveCaseInput(snapshot=opened)
    )
    assert not again.written
    with Session(system.engine) as session:
        same = get_archive(session, case_id)
    assert same is not None and same.record == row.record and same.archived_at == row.archived_at


async def _delete_workflow(system: System, case_id: str) -> None:
    """Delete the case's workflow from the engine now (as the namespace's retention would)."""
    handle = system.gateway.handle(case_id)
    await system.client.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=system.client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=handle.id),
        )
    )

    async def gone() -> bool:
        try:
            await handle.describe()
        except RPCError as err:
            return err.status is RPCStatusCode.NOT_FOUND
        return False

    await until(gone, bool, timeout=10, what=f"{handle.id} deleted")


def _reads(system: System, case_id: str) -> list[tuple[str, str, str]]:
    with system.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT actor, action, detail FROM audit_records WHERE case_id = ? ORDER BY seq",
            (case_id,),
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_an_ended_case_stays_visible_and_kept_after_its_workflow_is_deleted(
    system: System,
) -> None:
    case_id = await _ended_case(system)
    await _delete_workflow(system, case_id)

    snap = await system.gateway.snapshot(case_id)
    assert (snap.state, snap.document.title, snap.archived_at is not None) == (
        "withdrawn", TITLE, True,
    )  # fmt: skip
    assert [t.trigger for t in snap.history] == [None, "withdraw"]

    code, out, err = await cli(system, "case", "show", case_id)
    assert code == 0, err
    assert "取下げ" in out and "shown from the archive" in out
    settings = system.settings.model_copy(update={"keyring": SecretStr(TEST_KEYRING_ENV)})
    app = create_app(settings, edge=Edge(system.client, settings, system.gateway.municipality))
    desk = app.state.desk
    desk.users.add(username="kacho", display_name="保健 花子", roles=[UserRole.department_head],
                   department="保健センター", password="archive-password")  # fmt: skip
    token = desk.users.issue_token("kacho", "tests")[0]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        api = await http.get(
            f"/api/v1/cases/{case_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert api.status_code == 200, api.text
        assert (api.json()["state"], api.json()["document"]["title"]) == ("withdrawn", TITLE)
        page = (await http.get("/login")).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf
        login = {"username": "kacho", "password": "archive-password", "csrf_token": csrf.group(1)}
        assert (await http.post("/login", data=login)).status_code == 303
        desk_page = await http.get(f"/cases/{case_id}")
        assert desk_page.status_code == 200, desk_page.text
        assert TITLE in desk_page.text and "取下げ" in desk_page.text
        assert "保存された記録から表示" in desk_page.text
    desk.engine.dispose()

    reads = [r for r in _reads(system, case_id) if r[1] == "case_read"]
    assert [(r[0], r[2]) for r in reads] == [
        (reads[0][0], ARCHIVE_READ),  # the CLI, as its signed-in account or the OS user
        ("kacho", ARCHIVE_READ),  # the API
        ("kacho", ARCHIVE_READ),  # the desk's page
    ]
    # reconcile repairs the archived case's rows from its record instead of deleting them
    with system.engine.begin() as conn:  # a stale row: the projection of the end was lost
        conn.exec_driver_sql(
            "UPDATE cases SET state = 'draft', seq = 0 WHERE case_id = ?", (case_id,)
        )
        conn.exec_driver_sql(
            "DELETE FROM case_transitions WHERE case_id = ? AND seq = 1", (case_id,)
        )

    archive = CaseArchive(system.engine, TEST_KEYRING)
    reconciler = Reconciler(
        system.client, system.engine, system.settings.task_queue, TEST_AUDIT_SEALER, archive=archive
    )
    report = await reconciler.cases(only={case_id})
    assert (report.retained, report.orphaned, report.stale) == (1, 0, 1)
    assert system.sql("SELECT state, seq FROM cases WHERE case_id = :c", c=case_id) == [
        ("withdrawn", 1)
    ]
    assert system.sql(
        "SELECT seq, dest FROM case_transitions WHERE case_id = :c ORDER BY seq", c=case_id
    ) == [(0, "draft"), (1, "withdrawn")]


async def test_an_archive_that_keeps_failing_parks_until_an_admin_retries(system: System) -> None:
    snap = await system.gateway.create_case(document=document(), actor=actor("department"))
    with system.engine.begin() as conn:  # the archive table cannot be written
        conn.exec_driver_sql("ALTER TABLE case_archives RENAME TO case_archives_away")
    await system.gateway.act(snap.case_id, act("withdraw", "department", {"reason": "取り下げ"}))
    parked = await until(
        lambda: system.gateway.snapshot(snap.case_id),
        lambda s: s.parked is not None,
        timeout=20,
        what="the archive step parked",
    )
    assert parked.parked is not None and parked.parked.step == "archive_case"
    assert parked.archived_at is None  # live: the workflow waits for the admin

    with system.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE case_archives_away RENAME TO case_archives")
    await system.gateway.admin(snap.case_id, "retry", AdminInput(actor=ADMIN, reason="表を復旧"))
    await system.gateway.handle(snap.case_id).result()
    assert system.sql("SELECT state FROM case_archives WHERE case_id = :c", c=snap.case_id) == [
        ("withdrawn",)
    ]
