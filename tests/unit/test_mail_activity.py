"""send_reminder without a Temporal server (ActivityEnvironment) against a real local SMTP
server: the wire format, and a refusal of the end of the data leaves the key sendable."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.mail import MailActivities, SmtpConfig, dot_stuff
from models.tracking.reminders import Audience, ReminderMail
from persistence import outbox
from persistence.database import make_engine
from tests.integration.smtp_sink import SmtpSink

MAIL = ReminderMail(
    idempotency_key="case-0123456789ab/answer/escalation",
    department="図書館",
    audience=Audience.escalation,
    to=["lib-head@x.example"],
    subject="【督促】答申（令和8年6月1日）の期限を過ぎています 案件 諮問第3号",
    body="期限を過ぎています。\n",
)


def env() -> ActivityEnvironment:
    """A try with a 30 s start-to-close (the default test info allows 1 s)."""
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(
        environment.info,
        start_to_close_timeout=dt.timedelta(seconds=30),
        schedule_to_close_timeout=None,
    )
    return environment


def test_dot_stuffing_doubles_leading_dots_and_ends_with_crlf() -> None:
    assert dot_stuff(b"a\r\n.b\r\n..c") == b"a\r\n..b\r\n...c\r\n"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'rm.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


async def test_a_refused_end_of_data_is_retryable_and_the_retry_sends(
    engine: Engine, sink: SmtpSink
) -> None:
    acts = MailActivities(engine, SmtpConfig(port=sink.port, timeout_seconds=5))
    sink.handler.data_reply = "451 4.3.0 try again later"
    with pytest.raises(ApplicationError) as err:
        await env().run(acts.send_reminder, MAIL)
    assert err.value.type == "MailUnavailable" and not err.value.non_retryable
    row = outbox.get(engine, MAIL.idempotency_key)
    assert row is not None and row.state == "prepared"  # the server said no: not delivered

    sink.handler.data_reply = "250 OK"
    result = await env().run(acts.send_reminder, MAIL)
    assert (result.status, result.attempts) == ("sent", 2)
    again = await env().run(acts.send_reminder, MAIL)
    assert again.status == "already_sent"
    assert len(sink.received) == 1
    raw = sink.received[0].data
    assert b"\r\nX-Toshin-Idempotency-Key: case-0123456789ab/answer/escalation\r\n" in raw
    assert "期限を過ぎています".encode() not in raw  # the body travels base64-encoded
