"""The reminder ladder of a case on the real dev server, with a policy clock of seconds per
day, mail over real SMTP (aiosmtpd): each rung once, escalation after the due date, the case
flagged 要対応 and back; and a mail server outage during which nothing is lost."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from edge.cases import CaseService
from models.policy import CasePolicy
from models.states import Role
from persistence.database import make_engine
from settings import Settings
from tests.factories import act
from tests.integration.conftest import municipality
from tests.integration.drive import to_answer
from tests.integration.smtp_sink import Received, SmtpSink, free_port
from worker import build_worker

DAY_SECONDS = 1.5


def policy() -> CasePolicy:
    return CasePolicy(
        step_attempts=2,
        retry_initial_seconds=0.2,
        retry_max_seconds=1.0,
        step_timeout_seconds=5,
        notice_lead_business_days=0,
        materials_lead_business_days=0,
        day_seconds=DAY_SECONDS,
        rereview_months=None,
    )


def condition(due_on: dt.date) -> dict[str, object]:
    return {
        "text": "運用開始後にアクセスログの点検結果を報告すること",
        "type": "report",
        "due": "by_date",
        "due_on": due_on.isoformat(),
        "owner": "保健センター",
    }


async def eventually(check: Callable[[], bool], seconds: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        await asyncio.sleep(0.2)


class Town:
    def __init__(self, gateway: CaseService, smtp_port: int) -> None:
        self.gateway = gateway
        self.smtp_port = smtp_port


@pytest.fixture
async def town(
    temporal_env: WorkflowEnvironment, executor: ThreadPoolExecutor, tmp_path: Path
) -> AsyncIterator[Town]:
    port = free_port()
    settings = Settings(
        task_queue=f"tq-{uuid.uuid4().hex}",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'read_model.db'}",
        smtp_port=port,
        smtp_timeout_seconds=3,
    )
    place = municipality(policy())
    engine = make_engine(settings.read_model_url)
    worker = build_worker(
        temporal_env.client,
        settings,
        executor,
        engine=engine,
        max_cached_workflows=0,
        municipality=place,
    )
    async with worker:
        yield Town(CaseService(temporal_env.client, settings, place), port)
    engine.dispose()


def keys(mails: list[Received]) -> list[str]:
    return [str(m.message["X-Toshin-Idempotency-Key"]) for m in mails]


async def test_ladder_sends_each_rung_once_escalates_and_flags_the_case(town: Town) -> None:
    sink = SmtpSink(town.smtp_port).start()
    try:
        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()
        due = today + dt.timedelta(days=8)
        answered = await to_answer(town.gateway, conditions=[condition(due)])
        case_id = answered.case_id
        assert answered.state == "active"  # a by-date condition does not hold the start

        def escalated() -> bool:
            return any(":e1" in k for k in keys(sink.received))

        await eventually(escalated, 40, "the escalation after the due date")
        snap = await town.gateway.snapshot(case_id)
        assert snap.state == "attention"
        assert snap.conditions[0].status == "overdue"

        owner = [m for m in sink.received if ":e" not in str(m.message["X-Toshin-Idempotency-Key"])]
        sent_keys = keys(sink.received)
        assert len(sent_keys) == len(set(sent_keys)), "a rung was sent twice"
        rungs = [k.rsplit(":", 1)[1] for k in keys(owner)]
        assert rungs[-2:] == ["b1", "d0"]  # the last two before the escalation, in order
        for mail in owner:
            assert mail.rcpt_tos == ["hoken-center@city.toshin.example"]
            assert "条件1の履行報告" in str(mail.message["Subject"])
            assert "第901号" in str(mail.message["Subject"])
        escalation = sink.received[-1].message
        assert "【督促】" in str(escalation["Subject"])
        assert set(sink.received[-1].rcpt_tos) == {
            "hoken-center-shocho@city.toshin.example",
            "shingikai@city.toshin.example",
        }
        body = escalation.get_content()
        assert "集団検診WEB予約受付システム" in body  # the title, and nothing personal:
        for private in ("氏名", "生年月日", "電話番号", "検診予約の利便性向上"):
            assert private not in body

        # evidence clears the overdue condition; the secretariat resolves the attention
        await town.gateway.act(
            case_id,
            act("submit_evidence", Role.department, {"condition": 1, "file_ref": "点検報告書"}),
        )
        result = await town.gateway.act(
            case_id, act("resolve_attention", Role.secretariat, {"evidence": "点検報告書を確認"})
        )
        assert result.state == "active"
        count = len(sink.received)
        await asyncio.sleep(3 * DAY_SECONDS)
        assert len(sink.received) == count  # nothing more is chased
    finally:
        sink.stop()


async def test_mail_server_outage_loses_no_reminder(town: Town) -> None:
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()
    answered = await to_answer(town.gateway, conditions=[condition(today + dt.timedelta(days=4))])
    snap = await town.gateway.snapshot(answered.case_id)

    async def queued() -> int:
        return (await town.gateway.snapshot(answered.case_id)).reminders_queued

    await asyncio.sleep(4 * DAY_SECONDS)  # rungs fall due while the mail server is down
    waiting = await queued()
    assert waiting >= 1, snap
    sink = SmtpSink(town.smtp_port).start()
    try:
        await eventually(lambda: any(":e1" in k for k in keys(sink.received)), 40, "escalation")
        await asyncio.sleep(2)
        sent = keys(sink.received)
        assert len(sent) == len(set(sent)), "a reminder was sent twice"
        assert len(sent) >= waiting + 1  # the queued ones and the escalation after them
        assert await queued() == 0
    finally:
        sink.stop()
