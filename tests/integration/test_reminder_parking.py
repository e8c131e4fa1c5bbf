"""A reminder the mail server refuses for good (5xx at once, 4xx once the policy's mail
window is spent) parks the case's step ``send_reminder``: `admin failed` lists it with the
server's answer, and `admin retry` sends it, once. A server that dies after taking the end
of the data parks it as MailOutcomeUnknown (not resent blindly): skip accepts it, retry sends
it again. Real dev server, real SMTP (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from edge.cases import CaseService
from models.case.record import AdminInput, ParkedStep
from models.policy import CasePolicy
from persistence import outbox
from persistence.database import make_engine
from settings import Settings
from tests.factories import actor
from tests.integration.conftest import municipality
from tests.integration.drive import to_answer
from tests.integration.polling import until
from tests.integration.smtp_sink import Received, SmtpSink
from worker import build_worker

POLICY = CasePolicy(
    step_attempts=2,
    retry_initial_seconds=0.2,
    retry_max_seconds=1.0,
    step_timeout_seconds=5,
    notice_lead_business_days=0,
    materials_lead_business_days=0,
    day_seconds=1.5,
    rereview_months=None,
    mail_retry_minutes=0.1,  # a deferring server is retried 6 s, then the reminder parks
)


class Town:
    def __init__(self, gateway: CaseService, sink: SmtpSink, settings: Settings) -> None:
        self.gateway, self.sink, self.settings = gateway, sink, settings


@pytest.fixture
async def town(
    temporal_env: WorkflowEnvironment, executor: ThreadPoolExecutor, tmp_path: Path
) -> AsyncIterator[Town]:
    sink = SmtpSink().start()
    settings = Settings(
        task_queue=f"tq-{uuid.uuid4().hex}",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'read_model.db'}",
        smtp_port=sink.port,
        smtp_timeout_seconds=3,
    )
    place = municipality(POLICY)
    engine = make_engine(settings.read_model_url)
    worker = build_worker(
        temporal_env.client,
        settings,
        executor,
        engine=engine,
        max_cached_workflows=0,
        municipality=place,
    )
    try:
        async with worker:
            yield Town(CaseService(temporal_env.client, settings, place), sink, settings)
    finally:
        sink.stop()
        engine.dispose()


def keys_of(mail: Received) -> str:
    return str(mail.message["X-Toshin-Idempotency-Key"])


def keys(sink: SmtpSink) -> list[str]:
    return [keys_of(m) for m in sink.received]


def condition() -> dict[str, object]:
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()
    return {
        "text": "運用開始後にアクセスログの点検結果を報告すること",
        "type": "report",
        "due": "by_date",
        "due_on": (today + dt.timedelta(days=8)).isoformat(),
        "owner": "保健センター",
    }


async def parked_step(town: Town, case_id: str) -> ParkedStep:
    """What `admin failed` lists (CaseService.parked_cases: the ParkedStep search attribute,
    then each case's snapshot); other tests' cases on this server are not asked here."""
    await until(
        town.gateway.parked_case_ids,
        lambda ids: case_id in ids,
        timeout=60,
        what="the reminder parked",
    )
    step = (await town.gateway.snapshot(case_id)).parked
    assert step is not None and step.step == "send_reminder"
    return step


ADMIN = AdminInput(actor=actor("admin", "運用管理者"), reason="確認済み")


@pytest.mark.parametrize("action", ["skip", "retry"])
async def test_a_server_dying_after_the_end_of_data_parks_the_reminder_as_unknown(
    town: Town, action: str
) -> None:
    town.sink.handler.die_after_data = True
    case_id = (await to_answer(town.gateway, conditions=[condition()])).case_id
    step = await parked_step(town, case_id)
    assert "may have been delivered" in step.error, step.error
    [first] = keys(town.sink)  # the server has it once; nothing was resent on its own

    town.sink.handler.die_after_data = False
    snap = await town.gateway.admin(case_id, action, ADMIN)
    assert snap.parked is None
    assert [(a.action, a.step) for a in snap.admin_log] == [(action, "send_reminder")]
    await until(
        lambda: town.gateway.snapshot(case_id),
        lambda s: s.reminders_queued == 0,
        timeout=30,
        what="every queued reminder sent",
    )
    sent = keys(town.sink)
    # skip: accepted as delivered; retry: the admin's word sends it again (same Message-ID)
    assert sent.count(first) == (1 if action == "skip" else 2), sent
    ids = {str(m.message["Message-ID"]) for m in town.sink.received if keys_of(m) == first}
    assert len(ids) == 1
    rest = [k for k in sent if k != first]
    assert len(rest) == len(set(rest)), sent


@pytest.mark.parametrize(
    "refusal", ["550 5.1.1 no such mailbox", "451 4.7.1 try again later"], ids=["5xx", "4xx"]
)
async def test_a_refused_reminder_parks_for_an_admin_who_resends_it_once(
    town: Town, refusal: str
) -> None:
    town.sink.handler.rcpt_reply = refusal
    case_id = (await to_answer(town.gateway, conditions=[condition()])).case_id
    step = await parked_step(town, case_id)
    assert refusal.split()[0] in step.error and "条件1" in step.error, step.error
    assert town.sink.received == []

    town.sink.handler.rcpt_reply = "250 OK"  # the mail server is repaired
    snap = await town.gateway.admin(case_id, "retry", ADMIN)

    assert snap.parked is None
    assert [a.action for a in snap.admin_log] == ["retry"]
    assert snap.admin_log[0].step == "send_reminder"
    first = keys(town.sink)[0]  # the update answered once the resend was done
    engine = make_engine(town.settings.read_model_url)
    row = outbox.get(engine, first)
    engine.dispose()
    assert row is not None and row.state == "sent" and row.attempts >= 2
    assert case_id not in await town.gateway.parked_case_ids()
    assert not [w for w in snap.warnings if w.code == "reminder_not_sent"]

    await until(
        lambda: town.gateway.snapshot(case_id),
        lambda s: s.reminders_queued == 0,
        timeout=30,
        what="every queued reminder sent",
    )
    sent = keys(town.sink)
    assert sent.count(first) == 1 and len(sent) == len(set(sent)), sent
