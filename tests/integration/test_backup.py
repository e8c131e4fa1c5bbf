"""Backup while the embedded system runs, restore into a fresh folder, and go on there: the
real dev server and worker as processes (bench/faults.py), `starter.py admin backup` and
`admin restore` and `audit verify` as a person runs them."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from bench import drill
from bench.faults import Stack, settings_env, system_settings
from edge.connect import Edge
from models.case.states import CaseState
from settings import ROOT, Settings
from tests.factories import act, actor, document
from tests.integration.smtp_sink import SmtpSink


async def starter(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """``starter.py`` in a process of its own, on ``settings``' system."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "starter.py"),
        *args,
        cwd=ROOT,
        env=settings_env(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return subprocess.CompletedProcess(args, proc.returncode, out.decode(), err.decode())


async def to_state(edge: Edge, acts: int) -> str:
    """A case taken through the drill's first ``acts`` acts."""
    snap = await edge.cases.create_case(document=document(), actor=actor("department", "担当"))
    assert snap.business_today is not None
    for trigger, role, payload in drill.script(snap.business_today)[:acts]:
        await edge.cases.act(snap.case_id, act(trigger, role, payload))
    return snap.case_id


async def test_a_backup_taken_while_running_restores_every_case_where_it_was(
    tmp_path: Path,
) -> None:
    sink = SmtpSink().start()
    first = Stack(system_settings(tmp_path / "var", smtp_port=sink.port, policy=drill.POLICY))
    second: Stack | None = None
    try:
        admin = await first.start()
        edge = admin.edge
        answered = await to_state(edge, 8)  # documents and a reminder mail too
        ids = [answered, await to_state(edge, 1), await to_state(edge, 0)]
        before = {c: (await edge.cases.snapshot(c)) for c in ids}
        assert before[answered].state == CaseState.active

        archive = tmp_path / "backups" / "toshin.tar.gz"
        backing_up = asyncio.create_task(starter(first.settings, "admin", "backup", str(archive)))
        during = await to_state(edge, 2)  # the system keeps working meanwhile
        taken = await backing_up
        assert taken.returncode == 0, taken.stderr
        assert "with the keys" in taken.stdout
        admin.engine.dispose()
        first.stop()

        refused = await starter(
            first.settings, "admin", "restore", str(archive), "--into", str(tmp_path / "var")
        )
        assert refused.returncode == 1
        assert "InvalidPayload: --into:" in refused.stdout + refused.stderr

        fresh = tmp_path / "restored"
        restored = await starter(
            first.settings, "admin", "restore", str(archive), "--into", str(fresh)
        )
        assert restored.returncode == 0, restored.stdout + restored.stderr

        second = Stack(system_settings(fresh, smtp_port=sink.port, policy=drill.POLICY))
        admin = await second.start()
        edge = admin.edge
        for case_id, was in before.items():
            now = await edge.cases.snapshot(case_id)
            assert (now.state, now.history) == (was.state, was.history), case_id
        # the case acted on during the backup is where it was at one moment or the next
        assert (await edge.cases.snapshot(during)).state in (CaseState.triage, CaseState.precheck)
        report = await admin.reconciler.run()  # the read model catches up with the engine
        assert report.unreadable == 0 and report.orphaned == 0, report

        moved = await edge.cases.act(ids[2], act("submit", "department"))
        assert moved.state == CaseState.triage
        verified = await starter(second.settings, "audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert verified.stdout.startswith("ok: ") and " 2 documents" in verified.stdout
        admin.engine.dispose()
    finally:
        if second is not None:
            second.stop()
        first.stop()
        sink.stop()
