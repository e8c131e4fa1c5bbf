"""Time of the desk's case list with a filter over a large read model: GET /cases?state=… as a
logged-in department head (their department's cases, one state, sorted by deadline, page 1)
and as the secretariat (every department, one state), from request to the rendered HTML.

    .venv/bin/python -m bench.case_list [--cases 100000] [--n 200] [--pg] [--smoke]

Fills a fresh read model (SQLite file, or a new schema in PostgreSQL with ``--pg``) with
``--cases`` rows spread over 30 departments, every case state and ten fiscal years, through
the same migrations as the product, then serves the desk in process over httpx's ASGI
transport (no socket: the figure is the app's own time, session lookup, the count and the
page query, and the template). The list reads the read model only, never Temporal.
Aim (issue 11): p95 < 50 ms at 100,000 cases.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import insert

from bench.case_page import logged_in, summarize
from bench.transition_latency import drop_pg_schema, exit_with, fresh_pg_schema
from models.accounts import UserRole
from models.case.states import CaseState
from persistence.database import make_engine
from persistence.tables import CaseRow
from settings import Settings
from web.app import create_app
from web.deps import Desk

PASSWORD = "bench-password-2026"
DEPARTMENTS = ["保健センター", *(f"部署{n:02d}" for n in range(1, 30))]
STATES = [s.value for s in CaseState]


def fill(desk: Desk, cases: int, seed: int = 20261202) -> None:
    """``cases`` rows in batches of 5,000 (the department head's department gets its share)."""
    rnd = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    today = dt.date.today()
    batch: list[dict[str, object]] = []
    with desk.engine.begin() as conn:
        for n in range(cases):
            due = today + dt.timedelta(days=rnd.randint(-120, 400)) if rnd.random() < 0.7 else None
            batch.append(
                {
                    "case_id": f"{n:012x}",
                    "title": f"ベンチ案件 {n}",
                    "kind": "new_system",
                    "category": "consultation",
                    "department": rnd.choice(DEPARTMENTS),
                    "state": rnd.choice(STATES),
                    "fiscal_year": 2017 + n % 10,
                    "seq": rnd.randint(0, 12),
                    "next_deadline": due,
                    "next_deadline_what": "条件の履行" if due else None,
                    "updated_at": now,
                }
            )
            if len(batch) == 5000:
                conn.execute(insert(CaseRow), batch)
                batch = []
        if batch:
            conn.execute(insert(CaseRow), batch)


async def time_list(client: httpx.AsyncClient, query: str) -> float:
    started = time.perf_counter()
    resp = await client.get(f"/cases?{query}")
    elapsed = time.perf_counter() - started
    if resp.status_code != 200 or "件" not in resp.text:
        raise RuntimeError(f"/cases?{query}: {resp.status_code}, no list on the page")
    return elapsed


async def run(cases: int, n: int, use_pg: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="toshin-case-list-") as tmp:
        schema = None
        if use_pg:
            url, schema = fresh_pg_schema()
        else:
            url = f"sqlite:///{Path(tmp) / 'read_model.db'}"
        try:
            settings = Settings(data_dir=Path(tmp), database_url=url)
            make_engine(settings.read_model_url).dispose()  # migrations to head
            app = create_app(settings)
            desk: Desk = app.state.desk
            for username, roles, department in (
                ("kacho", [UserRole.department_head], "保健センター"),
                ("jimu", [UserRole.secretariat], None),
            ):
                desk.users.add(
                    username=username,
                    display_name=username,
                    roles=roles,
                    department=department,
                    password=PASSWORD,
                )
            started = time.perf_counter()
            fill(desk, cases)
            store = "PostgreSQL" if use_pg else "SQLite (WAL)"
            filled = time.perf_counter() - started
            print(f"read model: {store}, {cases:,} cases filled in {filled:.1f} s")
            print(f"GET /cases?state=…&sort=deadline, page 1; {n} samples each (ms)")
            print(f"{'':44}{'p50':>8}{'p95':>8}{'p99':>8}{'mean':>8}")
            for username, label in (
                ("kacho", "department head, own dept, one state"),
                ("jimu", "secretariat, all depts, one state"),
            ):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://127.0.0.1"
                ) as client:
                    await logged_in(client, username, PASSWORD)
                    samples = []
                    for i in range(n + 5):
                        state = STATES[i % len(STATES)]
                        took = await time_list(client, f"state={state}&sort=deadline")
                        if i >= 5:  # the first few warm the caches
                            samples.append(took)
                p50, p95, p99, mean = summarize(samples)
                print(f"{label:44}{p50:8.2f}{p95:8.2f}{p99:8.2f}{mean:8.2f}")
            desk.engine.dispose()
        finally:
            if schema:
                drop_pg_schema(schema)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=200, help="samples per persona")
    parser.add_argument("--pg", action="store_true", help="the read model on PostgreSQL")
    parser.add_argument("--smoke", action="store_true", help="CI: 2,000 cases, 10 samples")
    args = parser.parse_args()
    if args.smoke:
        args.cases, args.n = 2_000, 10
    asyncio.run(run(args.cases, args.n, args.pg))
    print("OK")
    return 0


if __name__ == "__main__":
    exit_with(main)
