"""Time of the desk's case page, the workflow query included: GET /cases/{id} as a logged-in
department head, from request to the rendered HTML.

    .venv/bin/python -m bench.case_page [--n 200] [--warmup 20] [--pg] [--smoke]

Starts its own dev server, one worker and the desk app (in process, over httpx's ASGI
transport: no socket, so the figure is the app's own time: session lookup, the query through
the edge, the read model's documents, the lifecycle and the template). Two kinds of case: a
draft (short history) and one answered with a condition (eleven transitions, a 答申書 in two
formats). Samples alternate between the kinds; everything runs sequentially (latency, not
throughput). Aim (issue 11): p95 < 150 ms.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
from sqlmodel import Session

from bench.transition_latency import (
    bench_bed,
    exit_with,
    sampling_args,
)
from edge.cases import CaseService
from edge.connect import Edge
from edge.documents import subject_documents
from models.accounts import UserRole
from models.policy import CasePolicy
from settings import Settings
from tests.factories import act, actor, document
from tests.integration.conftest import municipality
from tests.integration.test_journey import JOURNEY
from web.app import create_app
from web.deps import Desk
from worker import build_worker

PASSWORD = "bench-password-2026"


async def answered_case(cases: CaseService) -> str:
    """A case answered with one condition (its 答申書 generated)."""
    snap = await cases.create_case(
        document=document(planned_start={"year": 2018, "month": 4, "jun": "early"}),
        actor=actor("department", "島田"),
        created_on=JOURNEY[0][3],
    )
    for trigger, role, payload, on, _ in JOURNEY[:-1]:
        await cases.act(snap.case_id, act(trigger, role, payload, on=on))
    return snap.case_id


async def documents_ready(desk: Desk, case_id: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(desk.engine) as db:
            if len(subject_documents(db, case_id)) >= 2:
                return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"case {case_id}: the 答申書 was not generated in {timeout:.0f} s")


async def logged_in(
    client: httpx.AsyncClient, username: str = "kacho", password: str = PASSWORD
) -> None:
    page = (await client.get("/login")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    form = {"username": username, "password": password, "csrf_token": token.group(1)}
    resp = await client.post("/login", data=form)
    if resp.status_code != 303:
        raise RuntimeError(f"login answered {resp.status_code}")


async def time_page(client: httpx.AsyncClient, case_id: str, expect: str) -> float:
    started = time.perf_counter()
    resp = await client.get(f"/cases/{case_id}")
    elapsed = time.perf_counter() - started
    if resp.status_code != 200 or expect not in resp.text:
        raise RuntimeError(f"case {case_id}: {resp.status_code}, {expect!r} not on the page")
    return elapsed


def summarize(samples: list[float]) -> tuple[float, float, float, float]:
    ms = sorted(s * 1000 for s in samples)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return statistics.median(ms), cuts[94], cuts[98], statistics.fmean(ms)


async def run(n: int, warmup: int, use_pg: bool) -> None:
    async with bench_bed(use_pg) as bed:
        data_dir, url, env, engine = bed.data_dir, bed.url, bed.env, bed.engine
        settings = Settings(
            task_queue=f"bench-{uuid.uuid4().hex[:8]}", data_dir=data_dir, database_url=url
        )
        town = municipality(CasePolicy())
        with ThreadPoolExecutor(max_workers=16) as executor:
            worker = build_worker(env.client, settings, executor, engine=engine, municipality=town)
            async with worker:
                app = create_app(settings, edge=Edge(env.client, settings, town))
                desk: Desk = app.state.desk
                desk.users.add(
                    username="kacho",
                    display_name="保健 花子",
                    roles=[UserRole.department_head],
                    department="保健センター",
                    password=PASSWORD,
                )
                cases = CaseService(env.client, settings, town)
                draft = (
                    await cases.create_case(document=document(), actor=actor("department"))
                ).case_id
                answered = await answered_case(cases)
                await documents_ready(desk, answered)
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://127.0.0.1"
                ) as client:
                    await logged_in(client)
                    samples: dict[str, list[float]] = {"draft": [], "answered": []}
                    for i in range(n + warmup):
                        a = await time_page(client, draft, "起案中")
                        b = await time_page(client, answered, "答申書(PDF)")
                        if i >= warmup:
                            samples["draft"].append(a)
                            samples["answered"].append(b)
                desk.engine.dispose()
        store = "PostgreSQL" if use_pg else "SQLite"
        print(f"\ncase page GET /cases/{{id}}, query included; read model {store}; ", end="")
        print(f"{n} samples each (ms)")
        print(f"{'':34}{'p50':>8}{'p95':>8}{'p99':>8}{'mean':>8}")
        labels = {"draft": "draft (1 transition)", "answered": "answered (11, 2 documents)"}
        for kind, label in labels.items():
            p50, p95, p99, mean = summarize(samples[kind])
            print(f"{label:34}{p50:8.2f}{p95:8.2f}{p99:8.2f}{mean:8.2f}")


def main() -> int:
    args = sampling_args(__doc__.split("\n\n")[0], "per kind")
    asyncio.run(run(args.n, args.warmup, args.pg))
    return 0


if __name__ == "__main__":
    exit_with(main)
