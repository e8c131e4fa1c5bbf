"""The fault drill: cases driven concurrently through the edge while the embedded system is
hurt, then proof that nothing was lost, doubled or left stuck.

    .venv/bin/python -m bench.drill [--cases 100] [--smoke]

A fresh data folder, the real dev server and the real worker as child processes
(``bench.faults``), an SMTP sink on a free port. Every case is filed and taken through nine
acts to an answer with a dated condition (whose reminder is then mailed), each act an update
with its own id, repeated with the same id when the engine could not be reached. Meanwhile,
each fault begun when the acts reach a share of the total, and ended on evidence it was felt:

- the worker is killed (SIGKILL) at 10 % of the acts and at 70 %, and started again;
- the dev server is killed (SIGKILL) at 30 % and started again on its SQLite file;
- the read model is locked by another process at 50 % until the worker's writes have been
  refused ``--db-refusals`` times;
- the mail server answers 451 from the start until it has refused ``--smtp-refusals`` RCPTs.

A reminder whose try was killed between the end of the data and the server's answer parks
as of unknown outcome (activities/mail.py, by design: never resent blindly); the drill does
what the admin would: looks at the mail server, then skips it (delivered) or retries it.
Then it counts, prints, and exits 1 unless every count is 0: transitions lost or doubled
(each case's history against its acts), mails lost (a reminder never confirmed, an outbox
row not sent, a key the server never got) or doubled (a key the server got twice), stuck
workflow tasks (failing tasks, parked steps, cases not at the end), and read-model
divergences (reconcile's comparison, read only: rows missing, stale or orphaned).
``--smoke`` (CI): 20 cases.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import functools
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session, select

from bench.faults import LOCKED, ReadModelOutage, Stack, system_settings
from bench.transition_latency import exit_with
from edge.admin import AdminService
from edge.connect import Edge
from edge.reconcile import case_summary_of
from models.case.record import AdminInput, CaseSnapshot
from models.case.states import CaseState, Role
from models.errors import CaseError, DuplicateCase
from models.policy import CasePolicy
from persistence import reconcile as rows
from persistence.tables import CaseRow, OutboxRow
from tests.factories import act, actor, document
from tests.integration.smtp_sink import SmtpSink

T = TypeVar("T")
POLICY = CasePolicy(  # steps ride out the faults (retried every second, parked after 120)
    step_attempts=120,
    retry_initial_seconds=0.2,
    retry_max_seconds=1.0,
    step_timeout_seconds=10,
    notice_lead_business_days=0,
    materials_lead_business_days=0,
    rereview_months=None,
    mail_retry_minutes=30,
)
REFUSAL = "451 4.3.0 drill: the mail server refuses for now"
FINAL = CaseState.active
SMOKE = (20, 10, 5)  # CI: cases, read-model refusals, SMTP refusals


def script(today: dt.date) -> list[tuple[str, Role, dict[str, Any]]]:
    """The nine acts of every case: to an answer with one condition due in 8 days, whose
    reminder (rungs already passed are caught up once) is mailed at once."""
    session = {
        "session_id": "drill-1",
        "council": "個人情報保護審議会",
        "held_on": today.isoformat(),
    }
    condition = {
        "text": "運用開始後にアクセスログの点検結果を報告すること",
        "type": "report",
        "due": "by_date",
        "due_on": (today + dt.timedelta(days=8)).isoformat(),
        "owner": "保健センター",
    }
    decision = {
        "outcome": "approve_with_conditions",
        "votes": {"yes": 6},
        "conditions": [condition],
    }
    return [
        ("submit", Role.department, {}),
        ("require_consultation", Role.secretariat, {"reason": "外部結合のため"}),
        ("pass_precheck", Role.it, {"items": [{"check_id": "C1", "result": "conforming"}]}),
        ("schedule", Role.secretariat, {"session": session}),
        ("send_materials", Role.secretariat, {}),
        ("open_deliberation", Role.chair, {"seats": 10, "present": 7}),
        ("decide", Role.council, decision),
        ("issue_answer", Role.chair, {"number": "第901号"}),
    ]


@dataclass
class Progress:
    """Acts done so far; faults wait for a share of them."""

    total: int
    done: int = 0
    retried: int = 0  # calls repeated (same update id) after the engine could not be reached
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def step(self) -> None:
        async with self.changed:
            self.done += 1
            self.changed.notify_all()

    async def reached(self, share: float) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.done >= share * self.total)


@dataclass
class Report:
    cases: int
    acts: int = 0
    seconds: float = 0.0
    events: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    mails: int = 0

    @property
    def ok(self) -> bool:
        return not any(self.counts.values())

    def lines(self) -> list[str]:
        head = (
            f"drill: {self.cases} cases, {self.acts} acts in {self.seconds:.1f} s; "
            f"{self.mails} mails"
        )
        return [head, *(f"  {e}" for e in self.events)] + [
            f"{name:<24}{value}" for name, value in self.counts.items()
        ]


async def retrying(progress: Progress, call: Callable[[], Awaitable[T]]) -> T:
    """The call, repeated while the engine cannot be reached (a plain CaseError: unavailable,
    timed out); a domain error is an answer and is raised."""
    while True:
        try:
            return await call()
        except CaseError as err:
            if type(err) is not CaseError:
                raise
            progress.retried += 1
            await asyncio.sleep(0.2)


async def drive_case(edge: Edge, n: int, tag: str, progress: Progress) -> str:
    """File case ``n`` and take it through the script, each act once (by its update id)."""
    gateway = edge.cases
    ref = f"drill-{tag}-{n}"
    case_id = gateway.case_id_for(ref)

    async def create() -> None:
        # DuplicateCase: an earlier try reached the engine before the connection broke
        with contextlib.suppress(DuplicateCase):
            await gateway.create_case(
                document=document(), actor=actor("department", "担当"), external_ref=ref
            )

    await retrying(progress, create)
    snap: CaseSnapshot = await retrying(progress, lambda: gateway.snapshot(case_id))
    assert snap.business_today is not None
    for k, (trigger, role, payload) in enumerate(script(snap.business_today)):
        step, request = act(trigger, role, payload), f"{case_id}-{k}"
        await retrying(progress, functools.partial(gateway.act, case_id, step, request_id=request))
        await progress.step()
    return case_id


async def inflict(
    stack: Stack, edge: Edge, progress: Progress, report: Report, db_refusals: int
) -> None:
    """The faults, in order, each at its share of the acts."""
    started = time.monotonic()

    def note(what: str) -> None:
        report.events.append(f"{time.monotonic() - started:6.1f} s  {what} ({progress.done} acts)")

    async def kill_worker() -> None:
        stack.kill("worker")
        note("worker killed (SIGKILL)")
        stack.start_worker()
        await stack.worker_ready()
        note("worker polling again")

    await progress.reached(0.10)
    await kill_worker()
    await progress.reached(0.30)
    stack.kill("server")
    note("dev server killed (SIGKILL)")
    stack.start_server()
    await stack.server_ready(edge.client)
    note("dev server answering again")
    await progress.reached(0.50)
    before = stack.log_count(LOCKED)
    outage = ReadModelOutage(stack.settings.data_dir / "read_model.db")
    note("read model locked by another process")
    while stack.log_count(LOCKED) - before < db_refusals:
        await asyncio.sleep(0.05)
    held = outage.end()
    refused = stack.log_count(LOCKED) - before
    note(f"read model released after {held:.1f} s ({refused} refusals in the worker's log)")
    await progress.reached(0.70)
    await kill_worker()


async def refuse_mail(sink: SmtpSink, refusals: int, report: Report) -> None:
    """451 to every RCPT until ``refusals`` were refused, then accept again."""
    sink.handler.rcpt_reply = REFUSAL
    while sink.handler.rcpt_count < refusals:
        await asyncio.sleep(0.05)
    sink.handler.rcpt_reply = "250 OK"
    report.events.append(
        f"mail server accepting again after {sink.handler.rcpt_count} refused RCPTs"
    )


def unknown_outcome(snap: CaseSnapshot) -> bool:
    """A reminder parked because a try died between the end of the data and the server's
    answer (activities/mail.py): the mail may have been delivered; an admin decides."""
    return snap.parked is not None and "MailOutcomeUnknown" in snap.parked.error


async def settled(edge: Edge, case_ids: list[str], timeout: float = 120.0) -> list[CaseSnapshot]:
    """Every case's snapshot once each is at the end with no reminder unconfirmed, or waits
    for an admin on a reminder of unknown outcome (or the last seen after ``timeout``: the
    counts then say what is not)."""
    deadline = time.monotonic() + timeout
    while True:
        snaps = [await edge.cases.snapshot(c) for c in case_ids]
        if time.monotonic() > deadline or all(
            unknown_outcome(s)
            or (
                s.state == FINAL
                and s.reminders_queued == 0
                and s.projected_seq == s.history[-1].seq
            )
            for s in snaps
        ):
            return snaps
        await asyncio.sleep(0.2)


async def resolve_unknown(
    edge: Edge, engine: Engine, snaps: list[CaseSnapshot], sink: SmtpSink
) -> str | None:
    """What the admin does with a reminder of unknown outcome: look at the mail server, then
    skip it (the server has the mail) or retry it (it has not: sent again, same Message-ID)."""
    parked = [s for s in snaps if unknown_outcome(s)]
    if not parked:
        return None
    got = {str(m.message["X-Toshin-Idempotency-Key"]) for m in sink.received}
    with Session(engine) as session:
        query = select(OutboxRow).where(OutboxRow.state == "unknown")
        unknown = [row.key for row in session.exec(query)]
    request = AdminInput(actor=actor("admin", "運用管理者"), reason="drill: mail server checked")
    done = {"skip": 0, "retry": 0}
    for snap in parked:
        keys = [k for k in unknown if k.startswith(f"{snap.case_id}:")]
        action = "skip" if keys and all(k in got for k in keys) else "retry"
        await edge.cases.admin(snap.case_id, action, request)
        done[action] += 1
    return (
        f"{len(parked)} reminders parked as of unknown outcome (a worker killed between the end "
        f"of the data and the answer): {done['skip']} skipped (delivered), {done['retry']} retried"
    )


async def count(
    admin: AdminService, snaps: list[CaseSnapshot], sink: SmtpSink, today: dt.date
) -> dict[str, int]:
    """The drill's verdict, by kind (every value must be 0)."""
    wanted = [t for t, _, _ in script(today)]
    lost = doubled = 0
    for snap in snaps:
        acts = [h.trigger.value for h in snap.history if h.trigger and h.trigger.value in wanted]
        lost += sum(1 for t in wanted if t not in acts)
        doubled += len(acts) - len(set(acts))
    got = [str(m.message["X-Toshin-Idempotency-Key"]) for m in sink.received]
    with Session(admin.engine) as session:
        outbox = list(session.exec(select(OutboxRow)))
        diverged = 0
        for snap in snaps:
            present = rows.transition_rows(session, snap.case_id)
            row = session.get(CaseRow, snap.case_id)
            summary = case_summary_of(snap)
            people = admin.reconciler.people  # rows name actors by ref, as reconcile reads them
            diverged += rows.case_differs(row, present, summary, snap.history, people)
        ours = {s.case_id for s in snaps}
        diverged += sum(1 for r in session.exec(select(CaseRow)) if r.case_id not in ours)
    unsent = [r.key for r in outbox if r.key not in got]  # "unknown" ones the server has: sent
    failing = await admin.failing()
    parked = await admin.parked()
    return {
        "lost transitions": lost,
        "doubled transitions": doubled,
        "lost mails": sum(s.reminders_queued for s in snaps) + len(unsent),
        "doubled mails": len(got) - len(set(got)),
        "stuck workflow tasks": len(failing) + len(parked) + sum(s.state != FINAL for s in snaps),
        "read-model divergences": diverged,
    }


async def run(cases: int, folder: Path, *, db_refusals: int = 3, smtp_refusals: int = 5) -> Report:
    """One drill in ``folder`` (a fresh data folder); its report."""
    sink = SmtpSink().start()
    settings = system_settings(folder, smtp_port=sink.port, policy=POLICY)
    stack = Stack(settings)
    report = Report(cases)
    started = time.monotonic()
    try:
        admin = await stack.start()
        edge = admin.edge
        progress = Progress(total=cases * 8)
        mail = asyncio.create_task(refuse_mail(sink, smtp_refusals, report))
        faults = asyncio.create_task(inflict(stack, edge, progress, report, db_refusals))
        tag = folder.name
        async with asyncio.TaskGroup() as group:  # one failing case ends the drill at once
            driven = [group.create_task(drive_case(edge, n, tag, progress)) for n in range(cases)]
        case_ids = [task.result() for task in driven]
        await faults
        report.acts = progress.done
        report.events.append(f"{time.monotonic() - started:6.1f} s  every act answered")
        snaps = await settled(edge, case_ids)
        resolved = await resolve_unknown(edge, admin.engine, snaps, sink)
        if resolved is not None:
            report.events.append(resolved)
            snaps = await settled(edge, case_ids)
        report.events.append(f"{time.monotonic() - started:6.1f} s  every case settled")
        mail.cancel()
        report.seconds = time.monotonic() - started
        report.mails = len(sink.received)
        report.events.append(f"{progress.retried} calls repeated while the engine was away")
        report.counts = await count(admin, snaps, sink, snaps[0].business_today or dt.date.today())
        admin.engine.dispose()
        return report
    finally:
        stack.stop()
        sink.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--db-refusals", type=int, default=300)
    parser.add_argument("--smtp-refusals", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    parser.add_argument("--smoke", action="store_true", help="CI size: 20 cases")
    args = parser.parse_args()
    if args.smoke:
        args.cases, args.db_refusals, args.smtp_refusals = SMOKE
    tmp = Path(tempfile.mkdtemp(prefix="toshin-drill-"))
    try:
        report = asyncio.run(
            run(
                args.cases,
                tmp / "var",
                db_refusals=args.db_refusals,
                smtp_refusals=args.smtp_refusals,
            )
        )
    finally:
        if args.keep:
            print(f"data folder and logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("\n".join(report.lines()))
    print("OK" if report.ok else "FAILED")
    return 0 if report.ok else 1


if __name__ == "__main__":
    exit_with(main)
