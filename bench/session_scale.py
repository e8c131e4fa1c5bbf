"""How one council session scales with the size of its agenda: N cases, one session.

    .venv/bin/python -m bench.session_scale [--sizes 10,30,100] [--step-timeout 600] [--smoke]

Starts its own dev server (SQLite file with WAL pragmas in a temp dir, see
``bench.transition_latency``) and one worker with the real workflows and activities. For each
size N it registers a fresh council (10 seats), creates N cases and drives each to `ready`
(timed separately, not in the total), plans a session starting a minute from now, then times
end to end through the edge services, one act after another as the secretariat would:

- agenda: ``add_items`` with all N cases in one call;
- session: ``send_notice``, ``send_materials``, ``open_session`` (8 of 10 present), and for
  every item ``open_item``, ``decide_item`` (approve, 8 yes) and ``issue_answer``; then
  ``close_session``, ``approve_minutes``, ``publish_minutes``.

Afterwards it checks that every case ended `active`, that the N answer numbers are distinct,
and reads the length of the session workflow's history (``fetch_history``) and its size as
the server counts it. The lead times are 0 business days (as in
``tests/integration/test_sessions.py``) so the session can be held today.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import tempfile
import time
import traceback
import uuid
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from bench.transition_latency import exit_with, gather_limited, start_dev_server
from edge.cases import CaseService
from edge.councils import CouncilService
from models.calendar.clock import ClockEpoch
from models.case.payloads import Votes
from models.ids import session_workflow_id
from models.policy import CasePolicy
from models.session.council import SessionPlan
from models.session.record import (
    AddItems,
    Attendance,
    DecideItem,
    IssueAnswer,
    ItemAct,
    ItemOutcome,
    OpenSession,
    SessionAct,
    SessionClock,
    SessionSnapshot,
)
from persistence.database import make_engine
from settings import Settings
from tests.factories import actor
from tests.integration.conftest import municipality
from tests.integration.test_sessions import council, ready_case
from worker import build_worker

JST = dt.timezone(dt.timedelta(hours=9))
PRESENT = [f"m{n}" for n in range(1, 9)]
POLICY = CasePolicy(notice_lead_business_days=0, materials_lead_business_days=0)
SECRETARIAT = actor("secretariat", "総務課")
CHAIR = actor("chair", "会長")
COUNCIL = actor("council", "審議会")
DEPARTMENT = actor("department", "担当課")
HISTORY_WARN_BYTES = 10 * 1024 * 1024  # Temporal's defaults: warns past 10 MiB,
HISTORY_ERROR_BYTES = 50 * 1024 * 1024  # terminates the workflow past 50 MiB

T = TypeVar("T")

# the phases of the timed run, in order; "agenda" is add_items, the rest is the session
PHASES = ("add_items", "notice", "materials", "open", "items", "close", "minutes")


@dataclass
class Result:
    n: int
    prepare_s: float = 0.0  # N cases to `ready`: not in the total
    phases: dict[str, float] = field(default_factory=dict)
    history_events: int | None = None
    history_bytes: int | None = None
    problems: list[str] = field(default_factory=list)
    failed_at: str | None = None  # the act that did not complete, with the error

    @property
    def agenda_s(self) -> float:
        return self.phases.get("add_items", 0.0)

    @property
    def session_s(self) -> float:
        return sum(v for k, v in self.phases.items() if k != "add_items")

    @property
    def total_s(self) -> float:
        return self.agenda_s + self.session_s

    @property
    def complete(self) -> bool:
        return self.failed_at is None and len(self.phases) == len(PHASES)


class StepFailed(Exception):
    """One act of the run failed or timed out; the message names it."""


# -- setup (not timed in the total) --------------------------------------------------------------


def session_start() -> tuple[dt.datetime, SessionClock]:
    """A minute from now, and a clock pinned to that day: the session reads its day from the
    clock (open_session must fall on the day it is held), so a run never waits for midnight."""
    now = dt.datetime.now(JST)
    starts_at = now + dt.timedelta(minutes=1)
    return starts_at, SessionClock(epoch=ClockEpoch(at=now, on=starts_at.date()))


# -- the timed run -----------------------------------------------------------------------------


class SessionRun:
    """Sends the acts of one session and keeps the time of each phase in ``result``."""

    def __init__(
        self, councils: CouncilService, session_id: str, result: Result, step_timeout: float
    ) -> None:
        self.councils = councils
        self.session_id = session_id
        self.result = result
        self.step_timeout = step_timeout
        self.answers: list[str] = []

    async def step(self, name: str, request: BaseModel) -> SessionSnapshot:
        try:
            return await self._bounded(self.councils.act(self.session_id, name, request))
        except TimeoutError:
            raise StepFailed(f"{name}: no answer within {self.step_timeout:.0f}s") from None
        except Exception as err:
            raise StepFailed(f"{name}: {type(err).__name__}: {err}") from err

    async def _bounded(self, call: Awaitable[T]) -> T:
        return await asyncio.wait_for(call, timeout=self.step_timeout)

    async def phase(self, name: str, *acts: tuple[str, BaseModel]) -> SessionSnapshot | None:
        started = time.perf_counter()
        snap = None
        for act_name, request in acts:
            snap = await self.step(act_name, request)
        self.result.phases[name] = time.perf_counter() - started
        return snap

    async def run(self, case_ids: list[str]) -> None:
        snap = await self.phase(
            "add_items", ("add_items", AddItems(actor=SECRETARIAT, case_ids=case_ids))
        )
        if snap is None or [i.case_id for i in snap.items] != case_ids:
            got = 0 if snap is None else len(snap.items)
            warnings = [] if snap is None else [w.message for w in snap.warnings]
            raise StepFailed(f"add_items: {got} of {len(case_ids)} on the agenda; {warnings}")
        await self.phase("notice", ("send_notice", SessionAct(actor=SECRETARIAT)))
        await self.phase("materials", ("send_materials", SessionAct(actor=SECRETARIAT)))
        attendance = Attendance(present=PRESENT, staff=["総務課長"])
        await self.phase(
            "open", ("open_session", OpenSession(actor=SECRETARIAT, attendance=attendance))
        )
        started = time.perf_counter()
        for case_id in case_ids:
            await self.step("open_item", ItemAct(actor=CHAIR, case_id=case_id))
            decide = DecideItem(
                actor=COUNCIL, case_id=case_id, outcome=ItemOutcome.approve, votes=Votes(yes=8)
            )
            await self.step("decide_item", decide)
            answer = IssueAnswer(actor=CHAIR, case_id=case_id, conclusion="諮問どおり可とする。")
            snap = await self.step("issue_answer", answer)
            item = next(i for i in snap.items if i.case_id == case_id)
            self.answers.append(item.answer.number if item.answer else "")
        self.result.phases["items"] = time.perf_counter() - started
        await self.phase("close", ("close_session", SessionAct(actor=SECRETARIAT)))
        await self.phase(
            "minutes",
            ("approve_minutes", SessionAct(actor=CHAIR)),
            ("publish_minutes", SessionAct(actor=SECRETARIAT)),
        )


# -- one size ----------------------------------------------------------------------------------


async def measure(
    cases: CaseService,
    councils: CouncilService,
    n: int,
    step_timeout: float,
) -> Result:
    result = Result(n=n)
    council_id = f"bench{uuid.uuid4().hex[:8]}"
    await councils.register(council(council_id))

    started = time.perf_counter()
    case_ids = await gather_limited(
        [functools.partial(ready_case, cases, f"案件{i + 1}") for i in range(n)]
    )
    result.prepare_s = time.perf_counter() - started

    starts_at, clock = session_start()
    plan = SessionPlan(
        council_id=council_id,
        ordinal=1,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        place="市役所3階庁議室",
    )
    session_id = (await councils.plan(SECRETARIAT, plan, clock=clock)).session_id
    run = SessionRun(councils, session_id, result, step_timeout)
    try:
        await run.run(case_ids)
    except StepFailed as err:
        result.failed_at = str(err)

    await read_history(councils, session_id, result)
    if result.failed_at is None:
        await check_outcome(cases, councils, session_id, case_ids, run.answers, result)
    return result


async def read_history(councils: CouncilService, session_id: str, result: Result) -> None:
    """Events of the session workflow (``fetch_history``) and its size as the server counts it."""
    handle = councils.client.get_workflow_handle(session_workflow_id(session_id))
    try:
        history = await handle.fetch_history()
        result.history_events = len(history.events)
        description = await handle.describe()
        result.history_bytes = (
            description.raw_description.workflow_execution_info.history_size_bytes
        )
    except Exception as err:
        result.problems.append(f"history of {session_id}: {type(err).__name__}: {err}")


async def check_outcome(
    cases: CaseService,
    councils: CouncilService,
    session_id: str,
    case_ids: list[str],
    answers: list[str],
    result: Result,
) -> None:
    states = await gather_limited([functools.partial(cases.snapshot, c) for c in case_ids])
    not_active = [f"{s.case_id}={s.state}" for s in states if s.state != "active"]
    if not_active:
        result.problems.append(f"{len(not_active)} case(s) not active: {not_active[:5]}")
    numbered = [a for a in answers if a]
    if len(numbered) != len(case_ids) or len(set(numbered)) != len(numbered):
        result.problems.append(
            f"answer numbers: {len(numbered)} issued, {len(set(numbered))} distinct "
            f"for {len(case_ids)} items"
        )
    snap = await councils.session(session_id)
    if snap.state != "closed" or snap.minutes != "published":
        result.problems.append(f"session {session_id}: {snap.state}, minutes {snap.minutes}")
    if snap.warnings:
        result.problems.append(f"session warnings: {[w.code for w in snap.warnings]}")
    handle = councils.client.get_workflow_handle(session_workflow_id(session_id))
    status = (await handle.describe()).status
    if status is None or status.name != "COMPLETED":
        result.problems.append(f"session workflow {status.name if status else '?'}, not COMPLETED")


# -- report ------------------------------------------------------------------------------------


def report(results: list[Result]) -> None:
    print("\nsession scale (times in s; prepare = N cases to `ready`, not in the total)")
    print(
        f"{'N':>5}{'prepare':>9}{'agenda':>9}{'session':>9}{'total':>9}{'per item':>10}"
        f"{'history':>9}{'hist KB':>9}  checks"
    )
    for r in results:
        events = str(r.history_events) if r.history_events is not None else "?"
        size = f"{r.history_bytes / 1024:.0f}" if r.history_bytes is not None else "?"
        per_item = f"{r.total_s / r.n * 1000:.0f} ms" if r.complete else "-"
        checks = "ok" if r.complete and not r.problems else "FAILED"
        print(
            f"{r.n:>5}{r.prepare_s:9.2f}{r.agenda_s:9.2f}{r.session_s:9.2f}{r.total_s:9.2f}"
            f"{per_item:>10}{events:>9}{size:>9}  {checks}"
        )
    print("\nphases (s): " + ", ".join(PHASES))
    print(f"{'N':>5}" + "".join(f"{p:>10}" for p in PHASES))
    for r in results:
        cells = "".join(f"{r.phases[p]:10.2f}" if p in r.phases else f"{'-':>10}" for p in PHASES)
        print(f"{r.n:>5}{cells}")
    for r in results:
        if r.failed_at:
            print(f"N={r.n}: stopped at {r.failed_at}")
        for problem in r.problems:
            print(f"N={r.n}: {problem}")
        if r.history_bytes is not None and r.history_bytes > HISTORY_WARN_BYTES:
            print(
                f"N={r.n}: the session history ({r.history_bytes / 2**20:.1f} MiB) is past "
                f"Temporal's warning limit ({HISTORY_WARN_BYTES / 2**20:.0f} MiB); at "
                f"{HISTORY_ERROR_BYTES / 2**20:.0f} MiB the server terminates the workflow"
            )
    by_n = {r.n: r for r in results if r.complete}
    if 10 in by_n and 100 in by_n:
        small, large = by_n[10], by_n[100]
        print(
            "\nscaling 10 → 100 items (linear = 10.0x): "
            f"total {large.total_s / small.total_s:.1f}x, "
            f"agenda {large.agenda_s / small.agenda_s:.1f}x, "
            f"session {large.session_s / small.session_s:.1f}x, "
            f"per item {(large.total_s / 100) / (small.total_s / 10):.2f}x"
        )
        if small.history_events and large.history_events:
            print(f"history events 10 → 100: {large.history_events / small.history_events:.1f}x")
    elif 10 in [r.n for r in results] and 100 in [r.n for r in results]:
        print("\nscaling 10 → 100: not available, a run did not complete")


# -- main --------------------------------------------------------------------------------------


async def run(sizes: list[int], step_timeout: float) -> int:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="toshin-bench-") as tmp:
        data_dir = Path(tmp)
        settings = Settings(
            task_queue=f"bench-{uuid.uuid4().hex[:8]}",
            data_dir=data_dir,
            database_url=f"sqlite:///{data_dir / 'read_model.db'}",
        )
        town = municipality(POLICY)
        env = await start_dev_server(data_dir)
        engine = make_engine(settings.read_model_url)
        try:
            with ThreadPoolExecutor(max_workers=16) as executor:
                async with build_worker(env.client, settings, executor, engine=engine):
                    cases = CaseService(env.client, settings, town)
                    councils = CouncilService(env.client, settings, town)
                    for n in sizes:
                        print(f"N={n}: preparing {n} cases, then one session…", flush=True)
                        try:
                            result = await measure(cases, councils, n, step_timeout)
                        except Exception:
                            traceback.print_exc()
                            result = Result(n=n, failed_at="setup: see the traceback above")
                        results.append(result)
                        status = result.failed_at or f"total {result.total_s:.2f}s"
                        print(f"N={n}: prepare {result.prepare_s:.1f}s, {status}", flush=True)
        finally:
            engine.dispose()
            await env.shutdown()
    report(results)
    ok = all(r.complete and not r.problems for r in results)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,30,100", help="agenda sizes, comma-separated")
    parser.add_argument(
        "--step-timeout", type=float, default=600.0, help="seconds one act may take"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="CI: --sizes 2 --step-timeout 60, the same code path"
    )
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.step_timeout = "2", 60.0
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes: comma-separated integers, e.g. 10,30,100")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes: at least one size, each at least 1")
    return asyncio.run(run(sizes, args.step_timeout))


if __name__ == "__main__":
    exit_with(main)
