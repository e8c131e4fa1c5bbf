"""The reminder ladder of a case on the real dev server, with a policy clock of seconds per
day, mail over real SMTP (aiosmtpd): each rung once, escalation after the due date, the case
flagged 要対応 and back; and a mail server outage during which nothing is lost."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from edge.cases import CaseService
from models.calendar.business_days import build_closure_table
from models.case.states import Role
from models.policy import CasePolicy
from models.tracking.certificates import add_months
from persistence.database import make_engine
from settings import Settings
from tests.factories import act
from tests.integration.conftest import municipality
from tests.integration.drive import to_answer
from tests.integration.polling import until, until_true
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
    await until_true(check, timeout=seconds, what=what)


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
        chased = [k for k in keys(sink.received) if ":o:" not in k]

        # nothing more is chased: an obligation due 3 business days on is the positive signal
        # (its due-day reminder is planned in the same pass that would chase the condition)
        today = (await town.gateway.snapshot(case_id)).business_today
        assert today is not None
        closures = build_closure_table(today.year - 1, today.year + 2)
        due_on = closures.add_business_days(today, 3)
        anchor = add_months(due_on, -3).isoformat()
        log = {"id": "log", "kind": "access_log_review", "anchor": anchor, "every_months": 3}
        added = await town.gateway.act(
            case_id, act("add_obligation", Role.secretariat, {"obligation": log})
        )
        assert added.state == "active"
        tracked = (await town.gateway.snapshot(case_id)).obligations[0].current
        assert tracked is not None and tracked.due_on == due_on, tracked
        await eventually(
            lambda: any(":o:" in k and k.endswith(":d0") for k in keys(sink.received)),
            40,
            "the obligation's due-day reminder",
        )
        await until(
            lambda: town.gateway.snapshot(case_id),
            lambda snap: snap.reminders_queued == 0,
            timeout=20,
            what="every queued reminder delivered",
        )
        assert [k for k in keys(sink.received) if ":o:" not in k] == chased
    finally:
        sink.stop()


async def test_mail_server_outage_loses_no_reminder(town: Town) -> None:
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()
    answered = await to_answer(town.gateway, conditions=[condition(today + dt.timedelta(days=4))])
    snap = await town.gateway.snapshot(answered.case_id)

    async def queued() -> int:
        return (await town.gateway.snapshot(answered.case_id)).reminders_queued

    # rungs fall due while the mail server is down: wait until the case has run on the due
    # day (its due-day rung is planned then) with reminders still waiting for the server
    due_on = snap.conditions[0].due_on
    assert due_on is not None
    down = await until(
        lambda: town.gateway.snapshot(answered.case_id),
        lambda s: s.business_today is not None and s.business_today >= due_on,
        timeout=40,
        what=f"the case running on its due day {due_on}",
    )
    waiting = down.reminders_queued
    assert waiting >= 1, down
    sink = SmtpSink(town.smtp_port).start()
    try:
        await eventually(lambda: any(":e1" in k for k in keys(sink.received)), 40, "escalation")
        await until(queued, lambda n: n == 0, timeout=20, what="every queued reminder delivered")
        sent = keys(sink.received)
        assert len(sent) == len(set(sent)), "a reminder was sent twice"
        # the queued ones (the escalation may be among them when the case ran past the
        # due day before the snapshot was read) and the escalation
        assert len(sent) >= waiting and any(":e1" in k for k in sent)
    finally:
        sink.stop()
