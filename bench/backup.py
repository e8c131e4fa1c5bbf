"""Backup size and restore time of the embedded system holding the demo plus 1,000 cases.

    .venv/bin/python -m bench.backup [--cases 1000] [--smoke]

Starts the real dev server and worker in a fresh data folder (``bench.faults``), loads the
demo data as `./toshin up` does (accounts, then `starter.py demo load`), files ``--cases``
more cases and submits each (two transitions, a read-model row and two transition rows
each), then, with the system still running, times `admin backup` (``edge.backup``) and
prints the archive's size and what it holds; then the restore into a fresh folder, and a
server and worker started there until every case answers its query. ``--smoke``: 10 cases.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text

import launcher
from bench.drill import POLICY
from bench.faults import Stack, settings_env, system_settings
from bench.transition_latency import exit_with, gather_limited
from edge import backup
from edge.connect import Edge
from models.errors import CaseError
from persistence.database import make_engine
from tests.factories import act, actor, document
from tests.integration.smtp_sink import SmtpSink


async def file_cases(edge: Edge, n: int) -> None:
    async def one() -> None:
        snap = await edge.cases.create_case(document=document(), actor=actor("department", "担当"))
        await edge.cases.act(snap.case_id, act("submit", "department"))

    await gather_limited([one for _ in range(n)], limit=16)


def sizes(archive: Path) -> str:
    """The archive's members by kind, in MB as stored (before compression)."""
    kinds: dict[str, int] = {}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            kind = member.name.split("/")[0].removesuffix(".db")
            kinds[kind] = kinds.get(kind, 0) + member.size
    return ", ".join(f"{k} {v / 1e6:.1f}" for k, v in sorted(kinds.items()) if v >= 10_000)


async def ask(edge: Edge, ids: list[str]) -> list[tuple[str, str]]:
    """Query every case (16 at a time); the ones that did not answer, with their error (a
    workflow task that failed meanwhile, e.g. the SDK's deadlock detector on a loaded
    machine, fails the query; Temporal retries the task)."""

    async def one(case_id: str) -> tuple[str, str] | None:
        try:
            await edge.cases.snapshot(case_id)
        except CaseError as err:
            return case_id, f"case {case_id}: {err.error_type}: {err}"
        return None

    queries: list[Callable[[], Awaitable[tuple[str, str] | None]]] = [
        functools.partial(one, c) for c in ids
    ]
    return [f for f in await gather_limited(queries, limit=16) if f is not None]


async def run(cases: int, folder: Path) -> bool:
    sink = SmtpSink().start()
    first = Stack(system_settings(folder / "var", smtp_port=sink.port, policy=POLICY))
    second: Stack | None = None
    try:
        admin = await first.start()
        started = time.monotonic()
        os.environ.update(settings_env(first.settings))  # `starter.py demo load` sees this system
        launcher.demo_accounts(first.settings)
        demo = launcher.load_demo(first.settings)
        if demo.returncode != 0:
            raise RuntimeError(f"demo load failed:\n{demo.stdout[-2000:]}{demo.stderr[-2000:]}")
        await file_cases(admin.edge, cases)
        with admin.engine.connect() as conn:
            total = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
        print(
            f"demo + {cases:,} cases: {total:,} cases filed in {time.monotonic() - started:.1f} s"
        )

        taken = backup.backup(first.settings, folder / "toshin.tar.gz")
        print(
            f"backup while running: {taken.files:,} files, {taken.size / 1e6:.1f} MB compressed "
            f"in {taken.seconds:.1f} s (MB before compression: {sizes(taken.path)})"
        )
        admin.engine.dispose()
        first.stop()

        restored = backup.restore(taken.path, folder / "restored")
        second = Stack(system_settings(restored.into, smtp_port=sink.port, policy=POLICY))
        up = time.monotonic()
        admin = await second.start()
        engine = make_engine(second.settings.read_model_url)
        with engine.connect() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT case_id FROM cases"))]
        engine.dispose()
        first_ask = await ask(admin.edge, ids)
        answered = time.monotonic() - up
        failed = await ask(admin.edge, [c for c, _ in first_ask])  # each once more
        print(
            f"restore: {restored.seconds:.1f} s to unpack {restored.files:,} files; "
            f"server and worker up and {len(ids) - len(failed):,} of {len(ids):,} cases "
            f"answering after {answered:.1f} s ({len(first_ask)} only when asked again)"
        )
        for _, error in (first_ask + failed)[:5]:
            print(f"  {error}")
        admin.engine.dispose()
        print("FAILED" if failed else "OK")
        return not failed
    finally:
        if second is not None:
            second.stop()
        first.stop()
        sink.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the folders and logs")
    parser.add_argument("--smoke", action="store_true", help="10 cases")
    args = parser.parse_args()
    cases = 10 if args.smoke else args.cases
    folder = Path(tempfile.mkdtemp(prefix="toshin-backup-bench-"))
    try:
        ok = asyncio.run(run(cases, folder))
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    exit_with(main)
