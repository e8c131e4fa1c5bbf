"""Records kept for years: a case that ends is archived (its final snapshot and transition
log, sealed with the payload keyring) before its workflow completes, and stays visible after
the workflow is deleted from the engine."""

from __future__ import annotations

from sqlmodel import Session

from activities.archive import ArchiveActivities
from edge.archive import keyring_of
from models.archive import ArchiveCaseInput
from models.case.record import CaseSnapshot
from persistence.archive import get_archive, seal_context
from tests.factories import act, actor, document
from tests.integration.conftest import System
from tests.keys import TEST_KEYRING

TITLE = "図書館利用者カードの外部結合"


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
    assert keyring_of(system.client, system.settings) is TEST_KEYRING
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
