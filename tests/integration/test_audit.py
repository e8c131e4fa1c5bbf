"""The audit trail against the real engine: the worker seals every transition row it
projects, the CLI's `audit verify` passes an untouched system and names each tampering (an
edited transition row, a deleted audit record, two reordered ones, a replaced PDF);
`audit export` writes the day's records for the 事務局 and refuses a bad date by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from edge.audit import AuditTrail, Who, ensure_audit_key
from edge.cases import today_jst
from edge.documents import generate
from models.audit import AuditAction
from models.documents.spec import DocFormat, DocType, DocumentRequest
from tests.factories import act, actor, document
from tests.integration.conftest import System
from tests.integration.polling import until
from tests.integration.test_cli import cli
from tests.read_models import drop_append_only_guards


async def _transition_rows(system: System, case_id: str) -> int:
    rows = system.sql("SELECT count(*) FROM case_transitions WHERE case_id = :c", c=case_id)
    return int(str(rows[0][0]))


@pytest.mark.both_dbs
async def test_audit_verify_passes_a_clean_system_and_names_each_tampering(
    system: System,
) -> None:
    snap = await system.gateway.create_case(document=document(), actor=actor("department"))
    case_id = snap.case_id
    await system.gateway.act(case_id, act("submit", "department"))
    await until(
        lambda: _transition_rows(system, case_id),
        lambda n: n == 2,
        timeout=30,
        what="both transitions projected",
    )
    [pdf] = await generate(
        system.client,
        system.settings,
        DocumentRequest(doc_type=DocType.shimonsho, subject_id=case_id, formats=[DocFormat.pdf]),
    )
    trail = AuditTrail(system.engine, ensure_audit_key(system.settings))
    for n in range(6):
        trail.record(Who(f"user-{n}", "secretariat", "192.0.2.1"), AuditAction.case_read,
                     case_id=case_id)  # fmt: skip

    code, out, err = await cli(system, "audit", "verify")
    assert (code, err) == (0, "")
    assert (
        out.strip()
        == "ok: 6 audit records, 2 transition rows, 1 documents, 0 evidence files verified"
    )

    with system.engine.begin() as conn:
        drop_append_only_guards(conn)
        for statement in (
            "UPDATE case_transitions SET actor_name = '別人' WHERE seq = 1",
            "DELETE FROM audit_records WHERE seq = 2",
            "UPDATE audit_records SET seq = -1 WHERE seq = 4",
            "UPDATE audit_records SET seq = 4 WHERE seq = 5",
            "UPDATE audit_records SET seq = 5 WHERE seq = -1",
        ):
            conn.execute(text(statement))
    Path(pdf.path).write_bytes(Path(pdf.path).read_bytes() + b"\n% appended")

    code, out, _ = await cli(system, "audit", "verify")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "TAMPERED: first audit record 2: deleted: gone from between records 1 and 3"
    )
    for expected in (
        "audit record 4: reordered: it belongs after record 5, not after record 3",
        "audit record 5: reordered: it belongs after record 3, not after record 4",
        f"transition {case_id} #1: edited: its fields no longer match its MAC",
        f"document {pdf.id}: file_replaced: {pdf.path} does not hash to its stored SHA-256",
    ):
        assert f"  {expected}" in lines, f"{expected!r} not in:\n{out}"


async def test_audit_export_writes_the_days_records_and_refuses_a_bad_date(
    system: System, tmp_path: Path
) -> None:
    trail = AuditTrail(system.engine, ensure_audit_key(system.settings))
    trail.record(Who("jimukyoku", "secretariat", "192.0.2.7"), AuditAction.case_act,
                 case_id="case-x", detail="submit")  # fmt: skip
    today = today_jst().isoformat()
    out_file = tmp_path / "audit.csv"
    code, out, err = await cli(system, "audit", "export", "--from", today, "--to", today,
                               "--out", str(out_file))  # fmt: skip
    assert (code, err) == (0, ""), out
    rows = out_file.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("連番,日時(UTC),日時(日本時間),利用者,役割,操作")
    assert (
        rows[1].startswith("1,") and ",jimukyoku,secretariat,案件の操作,case_act,case-x," in rows[1]
    )
    assert len(rows) == 2
    # the export itself is an admin action on the trail, and the trail still verifies
    assert [r[0] for r in system.sql("SELECT action FROM audit_records ORDER BY seq")] == [
        "case_act", "admin_action",
    ]  # fmt: skip
    assert trail.verify().ok

    code, _, err = await cli(system, "audit", "export", "--from", "2026-13-01", "--to", today)
    assert code == 1
    assert "error: InvalidPayload: from: '2026-13-01' is not a date (YYYY-MM-DD)" in err
