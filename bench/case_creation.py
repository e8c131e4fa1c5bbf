"""Latency of creating a case, from the call to the read-model row visible: the old way (start
the workflow, then query it every 20 ms until the read model has the case) next to today's
(one update-with-start that answers once the row is written), and a bare update-with-start
on the same server as the floor.

    .venv/bin/python -m bench.case_creation [--n 200] [--warmup 20] [--pg] [--smoke]

Starts its own dev server (SQLite file with WAL pragmas in a temp dir) and one worker with
the real activities plus the bare counter workflow. Each sample creates a fresh case (same
document, same checks through ``CaseService.prepare_creation``) and reads its ``cases`` row
inside the measured time. Samples alternate between the three so that drift on the machine
hits each the same way. Sequential: this is latency, not throughput.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from sqlalchemy import Engine, text
    from temporalio.client import Client, WithStartWorkflowOperation
    from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

    from edge.cases import CaseService
    from models.case.record import CaseSnapshot
    from models.ids import case_workflow_id
    from models.policy import CasePolicy
    from settings import Settings
    from workflows.case import CaseWorkflow
from bench.bare_counter import BareCounterWorkflow
from bench.transition_latency import (
    DEPARTMENT,
    bench_bed,
    exit_with,
    sample_document,
    sampling_args,
    summarize,
)
from tests.integration.conftest import municipality
from worker import build_worker
from workflows import ALL_WORKFLOWS

POLL = 0.02  # the old creation's query interval


async def start_then_poll(gateway: CaseService) -> str:
    """The creation as it was before update-with-start: start, then poll a query every
    20 ms until the read model has seen the case. Returns the case id."""
    creation = await gateway.prepare_creation(document=sample_document(), actor=DEPARTMENT)
    handle = await gateway.client.start_workflow(
        CaseWorkflow.run,
        creation.input,
        id=case_workflow_id(creation.case_id),
        task_queue=gateway.settings.task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        search_attributes=creation.search_attributes,
    )
    while True:
        snap: CaseSnapshot = await handle.query(CaseWorkflow.snapshot)
        if snap.projected_seq >= 0 or snap.parked is not None:
            return snap.case_id
        await asyncio.sleep(POLL)


async def update_with_start(gateway: CaseService) -> str:
    """Today's creation (``CaseService.create_case``). Returns the case id."""
    snap = await gateway.create_case(document=sample_document(), actor=DEPARTMENT)
    return snap.case_id


def read_row(engine: Engine, case_id: str) -> None:
    with engine.connect() as conn:
        row = conn.execute(
            text("select state, seq from cases where case_id = :c"), {"c": case_id}
        ).one_or_none()
    if row is None or tuple(row) != ("draft", 0):
        raise RuntimeError(f"case {case_id}: read-model row {row}")


async def time_creation(gateway: CaseService, engine: Engine, old: bool) -> float:
    started = time.perf_counter()
    case_id = await (start_then_poll(gateway) if old else update_with_start(gateway))
    read_row(engine, case_id)
    return time.perf_counter() - started


async def time_bare(client: Client, task_queue: str) -> float:
    """A bare update-with-start: a new counter workflow and its first update."""
    workflow_id = f"bare-{uuid.uuid4().hex}"
    start = WithStartWorkflowOperation(
        BareCounterWorkflow.run,
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    started = time.perf_counter()
    count = await client.execute_update_with_start_workflow(
        BareCounterWorkflow.bump, start_workflow_operation=start
    )
    elapsed = time.perf_counter() - started
    if count != 1:
        raise RuntimeError(f"{workflow_id}: counter {count}")
    return elapsed


def report(samples: dict[str, list[float]], read_model: str) -> None:
    rows = {label: summarize(s) for label, s in samples.items()}
    n = len(next(iter(samples.values())))
    print(f"\ncase creation; read model: {read_model}; {n} samples each (ms)")
    print(f"{'':40}{'p50':>8}{'p95':>8}{'p99':>8}{'mean':>8}")
    for label, s in rows.items():
        print(f"{label:40}{s['p50']:8.2f}{s['p95']:8.2f}{s['p99']:8.2f}{s['mean']:8.2f}")
    before, after, bare = rows.values()
    print(
        f"after/before: p50 {after['p50'] / before['p50']:.2f}x, "
        f"p95 {after['p95'] / before['p95']:.2f}x"
    )
    print(
        f"after/bare: p50 {after['p50'] / bare['p50']:.2f}x, p95 {after['p95'] / bare['p95']:.2f}x"
    )


async def run(n: int, warmup: int, use_pg: bool) -> None:
    async with bench_bed(use_pg) as bed:
        data_dir, url, env, engine = bed.data_dir, bed.url, bed.env, bed.engine
        settings = Settings(
            task_queue=f"bench-{uuid.uuid4().hex[:8]}", data_dir=data_dir, database_url=url
        )
        with ThreadPoolExecutor(max_workers=16) as executor:
            worker = build_worker(
                env.client,
                settings,
                executor,
                engine=engine,
                workflows=[*ALL_WORKFLOWS, BareCounterWorkflow],
            )
            async with worker:
                gateway = CaseService(env.client, settings, municipality(CasePolicy()))
                samples: dict[str, list[float]] = {
                    "before: start, then poll every 20 ms": [],
                    "after: update-with-start": [],
                    "bare update-with-start (counter)": [],
                }
                before, after, bare = samples.values()
                print(f"creating {2 * (n + warmup)} cases, {n + warmup} bare workflows…")
                for i in range(n + warmup):
                    a = await time_creation(gateway, engine, old=True)
                    b = await time_creation(gateway, engine, old=False)
                    c = await time_bare(env.client, settings.task_queue)
                    if i >= warmup:
                        before.append(a)
                        after.append(b)
                        bare.append(c)
        report(samples, "PostgreSQL" if use_pg else "SQLite (WAL)")


def main() -> int:
    args = sampling_args(__doc__.split("\n\n")[0], "creations of each kind")
    asyncio.run(run(args.n, args.warmup, args.pg))
    return 0


if __name__ == "__main__":
    exit_with(main)
