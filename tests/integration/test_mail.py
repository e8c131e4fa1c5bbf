"""Reminder mail over real SMTP (aiosmtpd) on the real dev server: exactly once per key, even
when the server is slow, defers, refuses or is down for a while, when the worker is killed
mid-send, or frozen while a retry takes over; a send whose outcome cannot be known is shown
(MailOutcomeUnknown), never repeated blindly. Deliveries are counted after the workflow is
done and the sending connections have ended."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import Worker

from activities.mail import MailActivities, SmtpConfig, message_id_for
from models.tracking.ladder import Audience
from models.tracking.reminders import ReminderMail, SendReminderResult
from persistence import outbox
from tests.conftest import ROOT
from tests.integration.conftest import System
from tests.integration.mail_workflow import MailTestWorkflow, SendOnceInput
from tests.integration.polling import until, until_true
from tests.integration.smtp_sink import SmtpSink, free_port
from workflows import workflow_runner


def reminder(key: str | None = None) -> ReminderMail:
    return ReminderMail(
        idempotency_key=key or f"case-{uuid.uuid4().hex[:12]}/materials/owner",
        department="保健センター",
        audience=Audience.owner,
        to=["hoken-center@city.toshin.example", "hoken-2@city.toshin.example"],
        subject="【期限通知】資料送付（令和8年6月1日 まで）案件 諮問第871号",
        body="次の案件の期限が近づいています。\n.先頭がピリオドの行\n",
    )


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


def mail_worker(system: System, port: int, task_queue: str) -> Worker:
    acts = MailActivities(system.engine, SmtpConfig(port=port, timeout_seconds=5, lease_seconds=3))
    return Worker(
        system.client,
        task_queue=task_queue,
        workflows=[MailTestWorkflow],
        activities=[acts.send_reminder],
        workflow_runner=workflow_runner(),
        max_cached_workflows=0,
    )


async def send(client: Client, mail: ReminderMail, task_queue: str) -> SendReminderResult:
    return await client.execute_workflow(
        MailTestWorkflow.run,
        SendOnceInput(mail=mail),
        id=f"mail-{uuid.uuid4().hex}",
        task_queue=task_queue,
    )


@pytest.mark.both_dbs
async def test_reminder_is_delivered_once_and_a_second_send_of_the_key_is_not(
    system: System, sink: SmtpSink
) -> None:
    tq, mail = f"mail-{uuid.uuid4().hex}", reminder()
    async with mail_worker(system, sink.port, tq):
        first = await send(system.client, mail, tq)
        again = await send(system.client, mail, tq)  # a second workflow, the same key

    assert (first.status, again.status) == ("sent", "already_sent")
    assert first.message_id == again.message_id == message_id_for(mail.idempotency_key)
    assert len(sink.received) == 1
    got = sink.received[0]
    assert got.rcpt_tos == mail.to
    msg = got.message
    assert msg["Subject"] == mail.subject
    assert msg["Message-ID"] == first.message_id
    assert msg["X-Toshin-Idempotency-Key"] == mail.idempotency_key
    body = msg.get_body()
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == mail.body
    row = outbox.get(system.engine, mail.idempotency_key)
    assert row is not None and row.state == "sent" and row.sent_at is not None


async def test_a_permanent_refusal_fails_at_once_with_mail_rejected(
    system: System, sink: SmtpSink
) -> None:
    sink.handler.rcpt_reply = "550 5.1.1 no such mailbox"
    tq, mail = f"mail-{uuid.uuid4().hex}", reminder()
    started = time.monotonic()
    async with mail_worker(system, sink.port, tq):
        with pytest.raises(WorkflowFailureError) as failure:
            await send(system.client, mail, tq)
    cause = failure.value.cause
    assert isinstance(cause, ActivityError)
    assert isinstance(cause.cause, ApplicationError)
    assert cause.cause.type == "MailRejected" and cause.cause.non_retryable
    assert "550" in cause.cause.message
    assert time.monotonic() - started < 10
    assert sink.received == []
    row = outbox.get(system.engine, mail.idempotency_key)
    assert row is not None and (row.state, row.attempts) == ("prepared", 1)


async def test_mail_server_down_then_up_every_reminder_delivered_exactly_once(
    system: System,
) -> None:
    port = free_port()  # nothing listens yet: connection refused, retried with backoff
    tq = f"mail-{uuid.uuid4().hex}"
    mails = [reminder() for _ in range(3)]
    async with mail_worker(system, port, tq):
        runs = [asyncio.create_task(send(system.client, m, tq)) for m in mails]

        async def tries() -> list[int]:
            rows = [outbox.get(system.engine, m.idempotency_key) for m in mails]
            return [row.attempts if row is not None else 0 for row in rows]

        # each mail was refused and its activity came back for another try: only then is
        # "not done" evidence that a refused connection does not end the run
        await until(tries, lambda n: min(n) >= 2, timeout=30, what="a second try of each mail")
        assert not any(run.done() for run in runs)
        sink = SmtpSink(port).start()
        try:
            results = await asyncio.wait_for(asyncio.gather(*runs), timeout=30)
        finally:
            sink.stop()

    assert [r.status for r in results] == ["sent"] * 3
    assert all(r.attempts > 1 for r in results), [r.attempts for r in results]
    keys = sorted(got.message["X-Toshin-Idempotency-Key"] for got in sink.received)
    assert keys == sorted(m.idempotency_key for m in mails)


class WorkerProcess:
    """The mail worker in a subprocess (tests/integration/mail_worker.py)."""

    def __init__(self, system: System, task_queue: str, smtp_port: int) -> None:
        target = system.client.service_client.config.target_host
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.mail_worker",
                target,
                task_queue,
                system.settings.read_model_url,
                str(smtp_port),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )

    async def ready(self) -> WorkerProcess:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), 30)
        assert line.strip() == "ready"
        return self

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    async def dead(self) -> None:
        await asyncio.wait_for(asyncio.to_thread(self.proc.wait), 20)

    def stop(self) -> None:
        self.kill()
        self.proc.wait(timeout=20)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.mark.both_dbs
async def test_worker_killed_after_the_end_of_data_is_shown_as_unknown_not_resent(
    system: System, sink: SmtpSink
) -> None:
    tq, mail = f"mail-{uuid.uuid4().hex}", reminder()
    first = await WorkerProcess(system, tq, sink.port).ready()
    sink.handler.on_data = first.kill  # the server has stored it; the worker never hears 250
    second: WorkerProcess | None = None
    try:
        handle = await system.client.start_workflow(
            MailTestWorkflow.run,
            SendOnceInput(mail=mail),
            id=f"mail-{uuid.uuid4().hex}",
            task_queue=tq,
        )
        await first.dead()
        sink.handler.on_data = None
        assert len(sink.received) == 1
        row = outbox.get(system.engine, mail.idempotency_key)
        assert row is not None and row.state == "committing"

        second = await WorkerProcess(system, tq, sink.port).ready()
        with pytest.raises(WorkflowFailureError) as failure:
            await asyncio.wait_for(handle.result(), 30)
    finally:
        for proc in (first, second):
            if proc is not None:
                proc.stop()

    cause = failure.value.cause
    assert isinstance(cause, ActivityError) and isinstance(cause.cause, ApplicationError)
    assert cause.cause.type == "MailOutcomeUnknown" and cause.cause.non_retryable
    assert "may have been delivered" in cause.cause.message
    assert len(sink.received) == 1
    row = outbox.get(system.engine, mail.idempotency_key)
    assert row is not None and row.state == "unknown"

    # the admin's word (resend_unknown) sends it again, with the same Message-ID
    async with mail_worker(system, sink.port, tq):
        again = await send(system.client, mail.model_copy(update={"resend_unknown": True}), tq)
        settled = await send(system.client, mail, tq)
    assert (again.status, settled.status) == ("sent", "already_sent")
    ids = [got.message["Message-ID"] for got in sink.received]
    assert ids == [message_id_for(mail.idempotency_key)] * 2


@pytest.mark.both_dbs
async def test_worker_killed_before_the_end_of_data_sends_on_retry(
    system: System, sink: SmtpSink
) -> None:
    tq, mail = f"mail-{uuid.uuid4().hex}", reminder()
    first = await WorkerProcess(system, tq, sink.port).ready()
    sink.handler.on_rcpt = first.kill  # mid-transaction: the server discards it
    second: WorkerProcess | None = None
    try:
        handle = await system.client.start_workflow(
            MailTestWorkflow.run,
            SendOnceInput(mail=mail),
            id=f"mail-{uuid.uuid4().hex}",
            task_queue=tq,
        )
        await first.dead()
        sink.handler.on_rcpt = None
        row = outbox.get(system.engine, mail.idempotency_key)
        assert row is not None and row.state == "prepared"

        second = await WorkerProcess(system, tq, sink.port).ready()
        result = await asyncio.wait_for(handle.result(), 30)
    finally:
        for proc in (first, second):
            if proc is not None:
                proc.stop()

    assert (result.status, result.attempts) == ("sent", 2)
    assert len(sink.received) == 1
    assert sink.received[0].message["Message-ID"] == message_id_for(mail.idempotency_key)


async def test_a_slow_server_gets_each_reminder_once(system: System, sink: SmtpSink) -> None:
    """Each RCPT takes longer than the heartbeat timeout (the issue: 10 s per RCPT, step
    timeout 8 s, 12 of 15 sent twice): the tries heartbeat, none is retried beside itself."""
    sink.handler.rcpt_delay = 1.5
    tq, mails = f"mail-{uuid.uuid4().hex}", [reminder() for _ in range(15)]
    async with mail_worker(system, sink.port, tq):
        results = await asyncio.gather(
            *(
                system.client.execute_workflow(
                    MailTestWorkflow.run,
                    SendOnceInput(mail=m, heartbeat_seconds=1.0),
                    id=f"mail-{uuid.uuid4().hex}",
                    task_queue=tq,
                )
                for m in mails
            )
        )
    await until_true(lambda: sink.handler.closed >= 15, timeout=10, what="hang-ups")

    assert [(r.status, r.attempts) for r in results] == [("sent", 1)] * 15
    assert sorted(keys_of(sink)) == sorted(m.idempotency_key for m in mails)
    assert sink.handler.closed == 15  # one connection per reminder: no second try ever began


async def test_a_deferral_is_retried_and_delivered_once(system: System, sink: SmtpSink) -> None:
    sink.handler.rcpt_refusals = ["451 4.3.0 try again later", "452 4.2.2 mailbox busy"]
    tq, mail = f"mail-{uuid.uuid4().hex}", reminder()
    async with mail_worker(system, sink.port, tq):
        result = await send(system.client, mail, tq)
    assert (result.status, result.attempts) == ("sent", 3)
    assert keys_of(sink) == [mail.idempotency_key]


@pytest.mark.both_dbs
async def test_a_try_frozen_mid_send_is_fenced_out_by_the_retry_that_took_over(
    system: System, sink: SmtpSink
) -> None:
    """The first worker freezes (SIGSTOP) inside RCPT: it stops heartbeating, its try times
    out and a second worker's retry waits out the first try's lease, then sends. Thawed, the
    first try reaches the end of the data, finds it no longer holds the row, and hangs up
    without the terminator: the server has the reminder once."""
    tq, mail = f"mail-{uuid.uuid4().hex}", reminder()
    first = await WorkerProcess(system, tq, sink.port).ready()

    def freeze_first_try() -> None:
        sink.handler.on_rcpt = None
        os.kill(first.proc.pid, signal.SIGSTOP)

    sink.handler.on_rcpt = freeze_first_try
    second: WorkerProcess | None = None
    try:
        handle = await system.client.start_workflow(
            MailTestWorkflow.run,
            SendOnceInput(mail=mail, heartbeat_seconds=1.0),
            id=f"mail-{uuid.uuid4().hex}",
            task_queue=tq,
        )
        await until_true(lambda: sink.handler.rcpt_count >= 1, timeout=20, what="RCPT")
        second = await WorkerProcess(system, tq, sink.port).ready()
        result = await asyncio.wait_for(handle.result(), 30)
        assert (result.status, result.attempts) == ("sent", 2)
        os.kill(first.proc.pid, signal.SIGCONT)
        await until_true(lambda: sink.handler.closed >= 2, timeout=20, what="hang-ups")
    finally:
        for proc in (first, second):
            if proc is not None:
                proc.stop()

    assert keys_of(sink) == [mail.idempotency_key]
    row = outbox.get(system.engine, mail.idempotency_key)
    assert row is not None and (row.state, row.attempts) == ("sent", 2)


def keys_of(sink: SmtpSink) -> list[str]:
    return [str(got.message["X-Toshin-Idempotency-Key"]) for got in sink.received]
