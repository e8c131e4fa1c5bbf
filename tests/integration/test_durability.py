"""Stopping the server and the worker and starting them again loses nothing: the case is
where it was and goes on from there (the embedded default persists to a SQLite file)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from edge.cases import CaseService
from models import search_attributes as sa
from persistence.database import make_engine
from settings import Settings
from tests.conftest import SERVER_STARTUP
from tests.factories import act, actor, document
from tests.integration.conftest import TEMPORAL_BIN, municipality
from tests.keys import TEST_CONVERTER
from worker import build_worker


async def _start(db: Path) -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        dev_server_startup_timeout=SERVER_STARTUP,
        dev_server_existing_path=str(TEMPORAL_BIN),
        dev_server_database_filename=str(db),
        search_attributes=sa.ALL,
        data_converter=TEST_CONVERTER,
    )


async def test_case_survives_a_full_restart(tmp_path: Path, executor: ThreadPoolExecutor) -> None:
    settings = Settings(
        task_queue=f"tq-{uuid.uuid4().hex}",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'read_model.db'}",
    )
    town = municipality()
    engine = make_engine(settings.read_model_url)

    env = await _start(tmp_path / "temporal.db")
    async with build_worker(env.client, settings, executor, engine=engine):
        gateway = CaseService(env.client, settings, town)
        snap = await gateway.create_case(document=document(), actor=actor("department"))
        await gateway.act(snap.case_id, act("submit", "department"))
    await env.shutdown()

    env = await _start(tmp_path / "temporal.db")
    async with build_worker(env.client, settings, executor, engine=engine):
        gateway = CaseService(env.client, settings, town)
        again = await gateway.snapshot(snap.case_id)
        assert again.state == "triage"
        assert [h.trigger for h in again.history] == [None, "submit"]
        moved = await gateway.act(
            snap.case_id, act("require_consultation", "secretariat", {"reason": "特に必要"})
        )
        assert moved.state == "precheck"
    await env.shutdown()
    engine.dispose()
