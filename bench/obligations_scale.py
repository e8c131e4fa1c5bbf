"""Obligations at scale: many active cases, a burst of reminders, ten years of one case.

    .venv/bin/python -m bench.obligations_scale [--cases 10000] [--burst 1000] [--years 10]
        [--smoke]

Part 1, on a dev server of its own (SQLite file, WAL) with one worker (the real workflows and
activities, workflow cache 1000) and a local SMTP server (aiosmtpd):
- starts ``--cases`` − ``--burst`` active cases, each with 3 obligations (yearly PIA review,
  access-log review every 3 months, a Privacy Mark certificate), carried in as a
  continue-as-new record would carry them (driving 10,000 cases through a council would
  measure the council), and waits until every one has run its first task;
- then starts ``--burst`` more whose access-log review falls due so that the reminder of the
  due day goes out at one instant, about a minute after the last of them started (5 s with
  ``--smoke``);
- prints the start rate, the worker's memory (RSS of this process, which runs the worker)
  with all cases idle and after the burst, and how late the burst's reminders reached the
  mail server (received − scheduled instant: p50 / p99 / max), checking one mail per case.

Part 2, on the time-skipping test server: one case with the same 3 obligations, each
occurrence fulfilled the day before it falls due (the certificate renewed every 2 years) for
``--years`` years, with the default reminder ladder (30, 7 and 1 business days before: those
mails go out; the due-day rung and the escalation never come); prints the reminders sent and
the history events of each run (continue-as-new keeps each run short) and in total.

Two limits of the Java test server (not of a Temporal server) shape part 2:
- it times out any workflow 3,650 days after it started (a real server sets no execution
  timeout unless asked), so "10 years" ends a week before that;
- an update that arrives while the workflow continues as new is lost there and its call
  times out (a real server aborts it as retryable and the client lands it on the new run,
  temporalio/temporal#6485), so the bench sends an act again when its occurrence is still due.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import text
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from bench.transition_latency import exit_with, gather_limited, start_dev_server
from edge.cases import CaseService, case_config
from models import search_attributes as sa
from models.calendar.clock import ClockEpoch
from models.case.document import Category
from models.case.record import Actor, CaseConfig, CaseInput, CaseRecord, TransitionRecord
from models.case.states import CaseState, Role
from models.ids import case_workflow_id, new_case_id
from models.policy import CasePolicy
from models.tracking.certificates import add_months, privacy_mark_expiry
from models.tracking.conditions import TrackedObligation
from models.tracking.ladder import rungs
from models.tracking.obligations import Obligation, next_due
from persistence.database import make_engine
from settings import Settings
from tests.conftest import ROOT
from tests.factories import act, document
from tests.integration.conftest import municipality
from tests.integration.drive import to_answer
from tests.integration.smtp_sink import SmtpSink, free_port
from worker import build_worker
from workflows.case import CaseWorkflow

JST = dt.timezone(dt.timedelta(hours=9))
TEST_SERVER = ROOT / ".venv" / "bin" / "temporal-test-server"
ENGINE = Actor(role=Role.engine, name="toshin")
VENDOR = "株式会社ベンチ"
TEST_SERVER_EXECUTION_LIMIT = dt.timedelta(days=3650)
SETTLE_TIMEOUT_S = 1800.0  # every case ran its first task (10,000 take about 10 minutes)
MAIL_TIMEOUT_S = 600.0  # the burst's reminders reached the mail server


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MiB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def obligations(today: dt.date, log_anchor: dt.date) -> list[Obligation]:
    granted = today - dt.timedelta(days=200)
    return [
        Obligation(id="pia-review", kind="pia_review", anchor=today),
        Obligation(id="access-log", kind="access_log_review", anchor=log_anchor, every_months=3),
        Obligation.model_validate(
            {
                "id": "pmark",
                "kind": "certificate",
                "anchor": today.isoformat(),
                "certificate": {
                    "scheme": "privacy_mark",
                    "vendor": VENDOR,
                    "number": "10800001(01)",
                    "issued_on": granted.isoformat(),
                    "expires_on": privacy_mark_expiry(granted).isoformat(),
                },
            }
        ),
    ]


def active_record(
    case_id: str, config: CaseConfig, today: dt.date, fire_at: dt.datetime | None
) -> CaseRecord:
    """An active case with 3 obligations. With ``fire_at``, its access-log review is due on
    a business day whose reminder (the due day's rung) goes out exactly at ``fire_at``."""
    closures, policy = config.closures, config.policy
    due_day = closures.next_business_day(today)
    log_anchor = add_months(due_day, -3) if fire_at else today
    obs = obligations(today, log_anchor)
    tracked = [
        TrackedObligation(obligation=ob, current=next_due(ob, closures, after=today)) for ob in obs
    ]
    epoch = None
    sent: list[str] = []
    if fire_at is not None:
        log = next(t for t in tracked if t.obligation.id == "access-log")
        eve = due_day - dt.timedelta(days=1)
        log = log.model_copy(update={"current": next_due(log.obligation, closures, after=eve)})
        tracked = [log if t.obligation.id == "access-log" else t for t in tracked]
        assert log.current is not None and log.current.due_on == due_day, log.current
        epoch = ClockEpoch(at=fire_at - dt.timedelta(hours=policy.reminder_hour), on=due_day)
        sent = [
            f"{case_id}:o:{log.current.key}:{r.key}"
            for r in rungs(due_day, policy.reminder_ladder, closures)
            if r.on < due_day
        ]
    on = due_day if fire_at else today
    now = dt.datetime.now(JST)
    history = [
        TransitionRecord(
            seq=0,
            trigger=None,
            source=None,
            dest=CaseState.draft,
            actor=Actor(role=Role.department, name="担当課"),
            at=now,
            on=on,
        ),
        TransitionRecord(
            seq=1,
            trigger="apply_outcome",
            source=CaseState.answered,
            dest=CaseState.active,
            actor=ENGINE,
            at=now,
            on=on,
        ),
    ]
    return CaseRecord(
        case_id=case_id,
        external_ref=None,
        document=document(),
        category=Category.consultation,
        state=CaseState.active,
        seq=1,
        history=history,
        active_since=today,
        obligations=tracked,
        clock_epoch=epoch,
        sent_rungs=sent,
    )


async def start_cases(
    client: Client, task_queue: str, n: int, fire_at: dt.datetime | None, today: dt.date
) -> list[str]:
    """``n`` active cases; with ``fire_at`` each has a reminder due at that instant."""
    town = municipality(CasePolicy(rereview_months=None))
    plain = case_config(town)
    fast = plain.model_copy(
        update={"policy": plain.policy.model_copy(update={"day_seconds": 86_400.0})}
    )
    attributes = TypedSearchAttributes([SearchAttributePair(sa.CASE_STATE, "active")])

    def starter(i: int) -> Any:
        async def one() -> str:
            case_id = new_case_id(b"", "bench", None)
            config = fast if fire_at else plain
            record = active_record(case_id, config, today, fire_at)
            await client.start_workflow(
                CaseWorkflow.run,
                CaseInput(
                    case_id=case_id,
                    document=record.document,
                    created_by=record.history[0].actor,
                    config=config,
                    record=record,
                    projected_seq=1,
                ),
                id=case_workflow_id(case_id),
                task_queue=task_queue,
                search_attributes=attributes,
            )
            return case_id

        return one

    return await gather_limited([starter(i) for i in range(n)], 32)


async def settled(engine: Any, cases: int, timeout: float = SETTLE_TIMEOUT_S) -> None:
    """Wait until ``cases`` cases have run their first task (each projects its deadlines);
    fail after ``timeout`` seconds, naming how many did."""
    deadline = time.monotonic() + timeout
    pause = 0.1
    while True:
        with engine.connect() as conn:
            done = conn.execute(text("select count(distinct case_id) from deadlines")).scalar()
        if done is not None and done >= cases:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{done} of {cases} cases ran their first task in {timeout:.0f} s")
        await asyncio.sleep(pause)
        pause = min(pause * 2, 2.0)


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def part1(n: int, burst: int, lead_s: float | None = None) -> bool:
    """Part 1; True when every case of the burst got exactly one reminder. ``lead_s``: how
    long after the burst started its reminders fall due (default: a minute and a bit)."""
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=64) as pool:
        env = await start_dev_server(Path(tmp))
        sink = SmtpSink(free_port()).start()
        settings = Settings(
            task_queue=f"bench-{uuid.uuid4().hex[:8]}",
            data_dir=Path(tmp),
            database_url=f"sqlite:///{tmp}/read_model.db",
            smtp_port=sink.port,
        )
        engine = make_engine(settings.read_model_url)
        base_rss = rss_mb()[0]
        today = dt.datetime.now(JST).date()
        try:
            async with build_worker(
                env.client, settings, pool, engine=engine, municipality=municipality()
            ):
                t0 = time.perf_counter()
                ids = await start_cases(env.client, settings.task_queue, n - burst, None, today)
                started = time.perf_counter() - t0
                print(
                    f"started {len(ids)} active cases × 3 obligations in {started:.0f} s "
                    f"({len(ids) / started:.0f}/s)",
                    flush=True,
                )
                await settled(engine, len(ids))
                print(f"every case ran its first task after {time.perf_counter() - t0:.0f} s")
                idle_rss, _ = rss_mb()
                print(
                    f"worker RSS with {len(ids)} cases idle: {idle_rss:.0f} MiB "
                    f"(process before the worker: {base_rss:.0f} MiB)",
                    flush=True,
                )
                # the burst: more cases, each with a reminder due at the same instant
                lead = burst / 40 + 60 if lead_s is None else lead_s
                fire_at = dt.datetime.now(JST) + dt.timedelta(seconds=lead)
                await start_cases(env.client, settings.task_queue, burst, fire_at, today)
                await settled(engine, n)
                deadline = time.monotonic() + MAIL_TIMEOUT_S
                while len(sink.received) < burst and time.monotonic() < deadline:
                    await asyncio.sleep(1)
                rss, peak = rss_mb()
                times = sink.times()
                late = [t - fire_at.timestamp() for t in times]
                keys = [str(m.message["X-Toshin-Idempotency-Key"]) for m in sink.received]
                print(
                    f"burst: {len(sink.received)} reminders for {burst} due at "
                    f"{fire_at:%H:%M:%S}; distinct keys {len(set(keys))}"
                )
                if late:
                    print(
                        f"lateness: p50 {pct(late, 0.5):.1f} s, p99 {pct(late, 0.99):.1f} s, "
                        f"max {max(late):.1f} s, mean {statistics.mean(late):.1f} s"
                    )
                print(f"worker RSS after the burst: {rss:.0f} MiB (peak {peak:.0f} MiB)")
                return len(keys) == burst and len(set(keys)) == burst
        finally:
            sink.stop()
            engine.dispose()
            await env.shutdown()


async def run_events(client: Client, workflow_id: str) -> list[int]:
    """The length of each run's history, oldest first, walking continue-as-new backwards
    from the latest run."""
    lengths: list[int] = []
    run_id: str | None = None
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        lengths.insert(0, len(history.events))
        started = history.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id or None
        if run_id is None:
            return lengths


async def act_once(gateway: CaseService, case_id: str, the_act: Any, key: str) -> int:
    """Act; where the test server lost the update to a continue-as-new (the call times out),
    act again if the occurrence ``key`` is still due. Returns how many were lost."""
    from temporalio.service import RPCError

    try:
        await gateway.act(case_id, the_act)
        return 0
    except RPCError as err:
        if "Timeout" not in str(err):
            raise
    snap = await gateway.snapshot(case_id)
    if any(o.current is not None and o.current.key == key for o in snap.obligations):
        await gateway.act(case_id, the_act)
    return 1


async def part2(years: int, verbose: bool = False) -> None:
    from tests.integration.test_obligation_cycles import policy, years_env

    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=16) as pool:
        async for env in years_env(
            Path(tmp),
            pool,
            policy(rereview_months=None),
            years_ahead=years + 3,
        ):
            gateway: CaseService = env.gateway
            case_id = (await to_answer(gateway)).case_id
            t0 = await env.today()
            for ob in obligations(t0, t0):
                await gateway.act(
                    case_id,
                    act(
                        "add_obligation",
                        Role.secretariat,
                        {"obligation": ob.model_dump(mode="json")},
                    ),
                )
            end = min(
                t0.replace(year=t0.year + years),
                t0 + TEST_SERVER_EXECUTION_LIMIT - dt.timedelta(days=7),
            )
            done = lost = 0
            while True:
                snap = await gateway.snapshot(case_id)
                if verbose:
                    print(
                        f"  {snap.business_today} {snap.state} run {snap.run_count}",
                        *(
                            f"{o.obligation.id}→{o.current.due_on if o.current else '-'}"
                            for o in snap.obligations
                        ),
                        flush=True,
                    )
                pending = [(o.current, o) for o in snap.obligations if o.current is not None]
                due, tracked = min(pending, key=lambda pair: pair[0].due_on)
                if due.due_on > end:
                    break
                await env.sleep_until(max(due.due_on - dt.timedelta(days=1), await env.today()))
                if due.step == "expiry":
                    cert = tracked.obligation.certificate
                    assert cert is not None
                    start = cert.expires_on + dt.timedelta(days=1)
                    payload: dict[str, Any] = {
                        "obligation": tracked.obligation.id,
                        "certificate": {
                            **cert.model_dump(mode="json"),
                            "issued_on": start.isoformat(),
                            "expires_on": privacy_mark_expiry(start).isoformat(),
                        },
                    }
                    trigger = "renew_certificate"
                else:
                    trigger = "fulfil_obligation"
                    payload = {"obligation": tracked.obligation.id, "file_ref": f"記録 {due.key}"}
                lost += await act_once(
                    gateway, case_id, act(trigger, Role.department, payload), due.key
                )
                done += 1
            snap = await gateway.snapshot(case_id)
            lengths = await run_events(gateway.client, case_workflow_id(case_id))
            days = (await env.today() - t0).days
            print(
                f"{days} simulated days ({days / 365.25:.1f} years), {done} occurrences done on "
                f"time, state {snap.state}, {len(env.keys())} reminder mails, "
                f"{lost} acts lost to continue-as-new on the test server and sent again"
            )
            print(
                f"history: {len(lengths)} runs; events per run max {max(lengths)}, "
                f"last {lengths[-1]}; total {sum(lengths)} (limit per run "
                f"{CasePolicy().history_event_limit})"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=1_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--skip-scale", action="store_true", help="only part 2")
    parser.add_argument("-v", "--verbose", action="store_true", help="part 2 step by step")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI: --cases 20 --burst 5 (due 5 s later) --years 1, the same code path",
    )
    args = parser.parse_args()
    lead_s = None
    if args.smoke:
        args.cases, args.burst, args.years, lead_s = 20, 5, 1, 5.0
    ok = True
    if not args.skip_scale:
        ok = asyncio.run(part1(args.cases, min(args.burst, args.cases), lead_s))
        if not ok:
            print("FAILED: the burst did not get exactly one reminder per case")
    asyncio.run(part2(args.years, args.verbose))
    return 0 if ok else 1


if __name__ == "__main__":
    exit_with(main)
