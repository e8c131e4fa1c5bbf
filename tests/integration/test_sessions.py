"""Whole council sessions on the real dev server: agenda, quorum, Q&A, decisions with votes,
continued deliberation across two sessions, a failed quorum carried over, answers numbered
by the council, minutes with redactions."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from edge.cases import CaseService
from edge.councils import CouncilService
from models.calendar.clock import ClockEpoch
from models.case.record import AdminInput
from models.errors import CaseError, GuardFailed, InvalidPayload
from models.ids import council_workflow_id, session_workflow_id
from models.policy import CasePolicy
from models.session.council import Council, SessionPlan
from models.session.council_registry import PlanSession
from models.session.minutes import build_minutes
from models.session.record import (
    AddItems,
    Attendance,
    CarryIn,
    CarryOver,
    DecideItem,
    IssueAnswer,
    ItemAct,
    ItemStatus,
    OpenSession,
    RecordQA,
    Redact,
    SessionAct,
    SessionClock,
    SessionSnapshot,
)
from persistence.database import make_engine
from persistence.repository import list_session_items, list_sessions
from settings import Settings
from tests.conftest import ROOT
from tests.factories import act, actor, document
from tests.integration.conftest import FAST_POLICY, System, _fresh_url, municipality
from worker import build_worker
from workflows.council import CouncilWorkflow
from workflows.session import SessionWorkflow

JST = dt.timezone(dt.timedelta(hours=9))
POLICY = CasePolicy(
    **{
        **FAST_POLICY.model_dump(),
        "notice_lead_business_days": 0,
        "materials_lead_business_days": 0,
    }
)
SECRETARIAT = actor("secretariat", "総務課 湯浅")
CHAIR = actor("chair", "木村会長")
COUNCIL = actor("council", "審議会")
CONDITION = {
    "text": "データセンターを国内とすることを契約に盛り込む",
    "type": "contract_clause",
    "due": "before_contract",
    "owner": "保健センター",
}


def council(council_id: str) -> Council:
    members = [
        {
            "member_id": f"m{n}",
            "name": f"委員{n}",
            "role": "chair" if n == 1 else "member",
            "term_start": "2020-04-01",
        }
        for n in range(1, 11)
    ]
    return Council.model_validate(
        {
            "council_id": council_id,
            "name": "とうしん市個人情報保護審議会",
            "seats": 10,
            "members": members,
            "numbering": "cumulative",
            "first_number": 870,
            "notice_lead_business_days": 0,
            "materials_lead_business_days": 0,
        }
    )


def plan(council_id: str, ordinal: int, starts_at: dt.datetime) -> SessionPlan:
    return SessionPlan(
        council_id=council_id,
        ordinal=ordinal,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        place="市役所3階庁議室",
    )


async def ready_case(cases: CaseService, title: str, starts: dt.date | None = None) -> str:
    doc = document(title=title)
    if starts is not None:
        doc = document(title=title, planned_start=starts.isoformat())
    snap = await cases.create_case(document=doc, actor=actor("department"))
    await cases.act(snap.case_id, act("submit", "department"))
    await cases.act(
        snap.case_id, act("require_consultation", "secretariat", {"reason": "特に必要と認める"})
    )
    await cases.act(
        snap.case_id,
        act("pass_precheck", "it", {"items": [{"check_id": "C1", "result": "conforming"}]}),
    )
    return snap.case_id


@pytest.fixture
async def setup(system: System) -> tuple[CaseService, CouncilService, str]:
    town = municipality(POLICY)
    cases = CaseService(system.client, system.settings, town)
    councils = CouncilService(system.client, system.settings, town)
    council_id = f"c{uuid.uuid4().hex[:8]}"
    await councils.register(council(council_id))
    return cases, councils, council_id


def _soon(minutes: int = 1) -> dt.datetime:
    return dt.datetime.now(JST) + dt.timedelta(minutes=minutes)


async def plan_on_its_day(
    councils: CouncilService,
    council_id: str,
    ordinal: int,
    *,
    starts_at: dt.datetime | None = None,
) -> SessionSnapshot:
    """A session on a clock pinned to its day from now on: its acts fall on the session day
    even after midnight, so no test waits for midnight. By default it is held today (JST)."""
    now = dt.datetime.now(JST)
    last_second = dt.datetime.combine(now.date(), dt.time(23, 59, 59), JST)
    starts = starts_at or min(now + dt.timedelta(minutes=1), last_second)
    the_plan = plan(council_id, ordinal, starts)
    clock = SessionClock(epoch=ClockEpoch(at=now, on=the_plan.held_on))
    handle = councils.client.get_workflow_handle(council_workflow_id(council_id))
    session_id = await handle.execute_update(
        CouncilWorkflow.plan_session, PlanSession(actor=SECRETARIAT, plan=the_plan, clock=clock)
    )
    return await councils.session(session_id)


async def test_a_whole_session(setup: tuple[CaseService, CouncilService, str]) -> None:
    cases, councils, cid = setup
    c1, c2, c3 = [await ready_case(cases, t) for t in ("WEB予約", "自動電話催告", "市営住宅管理")]
    s1 = (await plan_on_its_day(councils, cid, 1)).session_id
    s2 = (await councils.plan(SECRETARIAT, plan(cid, 2, _soon(60 * 24 * 30)))).session_id

    snap = await councils.act(s1, "add_items", AddItems(actor=SECRETARIAT, case_ids=[c1, c2, c3]))
    assert [i.case_id for i in snap.items] == [c1, c2, c3]
    assert (await cases.snapshot(c1)).state == "scheduled"
    await councils.act(s1, "send_notice", SessionAct(actor=SECRETARIAT))
    await councils.act(s1, "send_materials", SessionAct(actor=SECRETARIAT))
    assert (await cases.snapshot(c2)).state == "materials_sent"

    with pytest.raises(InvalidPayload, match="not members"):
        await councils.act(
            s1,
            "open_session",
            OpenSession(actor=SECRETARIAT, attendance=Attendance(present=["m1", "x9"])),
        )
    present = [f"m{n}" for n in range(1, 9)]
    snap = await councils.act(
        s1,
        "open_session",
        OpenSession(actor=SECRETARIAT, attendance=Attendance(present=present, staff=["総務課長"])),
    )
    assert snap.state == "opened" and snap.quorum == "8 of 10 present: quorate"

    # item 1: approved and answered with the council's cumulative number
    await councils.act(s1, "open_item", ItemAct(actor=CHAIR, case_id=c1))
    await councils.act(
        s1,
        "record_qa",
        RecordQA(
            actor=SECRETARIAT,
            case_id=c1,
            qa={
                "speaker_role": "委員",
                "question": "USBの挿入ログは取得するか",
                "answer": "後日確認する",
            },
        ),
    )
    with pytest.raises(GuardFailed, match="exceed members present"):
        await councils.act(
            s1,
            "decide_item",
            DecideItem(actor=COUNCIL, case_id=c1, outcome="approve", votes={"yes": 9}),
        )
    await councils.act(
        s1,
        "decide_item",
        DecideItem(actor=COUNCIL, case_id=c1, outcome="approve", votes={"yes": 8}),
    )
    snap = await councils.act(
        s1,
        "issue_answer",
        IssueAnswer(actor=CHAIR, case_id=c1, conclusion="諮問どおり行うことを可とする。"),
    )
    assert snap.items[0].answer is not None and snap.items[0].answer.number == "第870号"
    assert (await cases.snapshot(c1)).state == "active"

    # item 2: continued to the next session
    await councils.act(s1, "open_item", ItemAct(actor=CHAIR, case_id=c2))
    s2_ref = {
        "session_id": s2,
        "council": "とうしん市個人情報保護審議会",
        "held_on": (await councils.session(s2)).plan.held_on,
    }
    await councils.act(
        s1,
        "decide_item",
        DecideItem(
            actor=COUNCIL,
            case_id=c2,
            outcome="continue",
            reason="業者の書面回答を待つ",
            next_session=s2_ref,
        ),
    )
    assert (await cases.snapshot(c2)).state == "scheduled"
    assert [(i.case_id, i.carried_from) for i in (await councils.session(s2)).items] == [(c2, s1)]

    # item 3: a conditional approval needs a condition
    await councils.act(s1, "open_item", ItemAct(actor=CHAIR, case_id=c3))
    with pytest.raises(GuardFailed, match="at least one condition"):
        await councils.act(
            s1,
            "decide_item",
            DecideItem(
                actor=COUNCIL,
                case_id=c3,
                outcome="approve_with_conditions",
                votes={"yes": 7, "no": 1},
            ),
        )
    with pytest.raises(InvalidPayload, match="not on this session's agenda"):
        await councils.act(
            s1,
            "decide_item",
            DecideItem(actor=COUNCIL, case_id="0000deadbeef", outcome="approve", votes={"yes": 8}),
        )
    await councils.act(
        s1,
        "decide_item",
        DecideItem(
            actor=COUNCIL,
            case_id=c3,
            outcome="approve_with_conditions",
            votes={"yes": 7, "no": 1},
            conditions=[CONDITION],
        ),
    )
    await councils.act(s1, "close_session", SessionAct(actor=SECRETARIAT))
    snap = await councils.act(
        s1,
        "issue_answer",
        IssueAnswer(
            actor=CHAIR, case_id=c3, conclusion="条件付きで可とする。", approved_by="chair"
        ),
    )
    assert snap.items[2].answer is not None and snap.items[2].answer.number == "第871号"
    assert (await cases.snapshot(c3)).state == "conditions_pending"

    # minutes: redacted, approved, published by their due date
    await councils.act(
        s1,
        "redact",
        Redact(
            actor=SECRETARIAT,
            redaction={
                "passage": "保守業者のID・パスワードの管理方法",
                "legal_basis": "情報公開条例第6条第7号",
            },
        ),
    )
    await councils.act(s1, "approve_minutes", SessionAct(actor=CHAIR))
    snap = await councils.act(s1, "publish_minutes", SessionAct(actor=SECRETARIAT))
    assert (
        snap.minutes == "published" and snap.redactions[0].legal_basis == "情報公開条例第6条第7号"
    )
    assert snap.minutes_due is not None and snap.minutes_due >= dt.date.today() + dt.timedelta(
        days=30
    )
    minutes = await councils.minutes(s1, public=True)
    assert len(minutes.attendees) == 8 and len(minutes.absentees) == 2
    assert minutes.items[0].qa[0] == ("委員", "USBの挿入ログは取得するか")
    assert minutes.items[2].conditions == [CONDITION["text"]]
    assert minutes.redactions == [("", "情報公開条例第6条第7号")]


async def test_failed_quorum_carries_the_agenda_over(
    setup: tuple[CaseService, CouncilService, str],
) -> None:
    cases, councils, cid = setup
    # planned to start in a week: carried to a session in two weeks, it becomes 事後諮問
    c1 = await ready_case(cases, "WEB予約", starts=dt.date.today() + dt.timedelta(days=7))
    s1 = (await plan_on_its_day(councils, cid, 1)).session_id
    s2 = await councils.plan(SECRETARIAT, plan(cid, 2, _soon(60 * 24 * 14)))
    snap = await councils.act(s1, "add_items", AddItems(actor=SECRETARIAT, all_ready=True))
    assert [i.case_id for i in snap.items] == [c1]
    await councils.act(s1, "send_notice", SessionAct(actor=SECRETARIAT))
    await councils.act(s1, "send_materials", SessionAct(actor=SECRETARIAT))
    snap = await councils.act(
        s1,
        "open_session",
        OpenSession(
            actor=SECRETARIAT, attendance=Attendance(present=["m1", "m2", "m3", "m4", "m5"])
        ),
    )
    assert snap.state == "failed_quorum"
    with pytest.raises(CaseError):
        await councils.act(s1, "open_item", ItemAct(actor=CHAIR, case_id=c1))
    ghost = {"session_id": "nope-2099-1", "council": s2.council, "held_on": s2.plan.held_on}
    with pytest.raises(InvalidPayload, match="does not exist"):
        await councils.act(
            s1, "carry_over", CarryOver(actor=SECRETARIAT, next_session=ghost, reason="流会")
        )
    assert (await cases.snapshot(c1)).state == "materials_sent"  # nothing moved
    # receive_item has no actor: a carry-in that cannot prove it comes from a session of
    # this council with the case on its agenda is refused, with a typed error
    target = councils.client.get_workflow_handle(session_workflow_id(s2.session_id))
    category = snap.items[0].category
    for made_up in (
        CarryIn(case_id=c1, title="WEB予約", category=category, from_session="nope-2099-1"),
        CarryIn(case_id="0" * 12, title="架空", category=category, from_session=s1),
        CarryIn(case_id=c1, title="WEB予約", category=category, from_session=s2.session_id),
    ):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await target.execute_update(SessionWorkflow.receive_item, made_up)
        assert isinstance(refused.value.cause, ApplicationError)
        assert refused.value.cause.type == "InvalidPayload"
    assert (await councils.session(s2.session_id)).items == []
    ref = {"session_id": s2.session_id, "council": s2.council, "held_on": s2.plan.held_on}
    snap = await councils.act(
        s1,
        "carry_over",
        CarryOver(actor=SECRETARIAT, next_session=ref, reason="定足数に達せず流会"),
    )
    assert snap.items[0].status == "carried_over"
    assert [w.code for w in snap.warnings if w.code == "ex_post"] == ["ex_post"]
    case = await cases.snapshot(c1)
    assert (
        case.state == "scheduled"
        and case.session is not None
        and case.session.session_id == s2.session_id
    )
    assert [i.case_id for i in (await councils.session(s2.session_id)).items] == [c1]


async def test_bad_plans_are_refused(setup: tuple[CaseService, CouncilService, str]) -> None:
    _cases, councils, cid = setup
    with pytest.raises(GuardFailed, match="in the past"):
        await councils.plan(SECRETARIAT, plan(cid, 1, dt.datetime.now(JST) - dt.timedelta(days=1)))
    start = _soon(60 * 24 * 7)
    await councils.plan(SECRETARIAT, plan(cid, 1, start))
    with pytest.raises(GuardFailed, match="overlaps"):
        await councils.plan(SECRETARIAT, plan(cid, 2, start + dt.timedelta(minutes=30)))
    snapshot = await councils.council(cid)
    assert len(snapshot.sessions) == 1


async def test_todays_session_may_be_recorded_after_it_began(
    setup: tuple[CaseService, CouncilService, str],
) -> None:
    """The secretariat entering today's session a minute late is not refused: the rule is the
    day (yesterday's is refused above), so a session planned just before midnight (JST) is not
    refused by the time it is recorded either."""
    _cases, councils, cid = setup
    now = dt.datetime.now(JST)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    began = max(midnight, now - dt.timedelta(minutes=1))  # today, already begun
    await councils.plan(SECRETARIAT, plan(cid, 1, began))
    snapshot = await councils.council(cid)
    assert [s.starts_at for s in snapshot.sessions] == [began]


async def test_the_session_reads_today_from_its_clock(
    setup: tuple[CaseService, CouncilService, str],
) -> None:
    """A session held tomorrow, on a clock that says it is tomorrow already, opens now: the
    session's "today" is its clock's, not the wall clock's."""
    cases, councils, cid = setup
    # a case carried to it by a session of the council held today (failed quorum), the only
    # way an item arrives through receive_item
    case_id = await ready_case(cases, "継続案件", starts=dt.date.today() + dt.timedelta(days=7))
    s0 = (await plan_on_its_day(councils, cid, 1)).session_id
    tomorrow = dt.datetime.now(JST) + dt.timedelta(days=1)
    snap = await plan_on_its_day(councils, cid, 2, starts_at=tomorrow)
    sid, held = snap.session_id, snap.plan.held_on
    assert snap.today == held != dt.datetime.now(JST).date()
    handle = councils.client.get_workflow_handle(session_workflow_id(sid))
    made_up = CarryIn(
        case_id=case_id, title="継続案件", category="consultation", from_session="elsewhere"
    )
    with pytest.raises(WorkflowUpdateFailedError):  # no such session sent it: refused
        await handle.execute_update(SessionWorkflow.receive_item, made_up)
    await councils.act(s0, "add_items", AddItems(actor=SECRETARIAT, all_ready=True))
    await councils.act(s0, "send_notice", SessionAct(actor=SECRETARIAT))
    await councils.act(s0, "send_materials", SessionAct(actor=SECRETARIAT))
    few = Attendance(present=["m1", "m2", "m3", "m4", "m5"])
    await councils.act(s0, "open_session", OpenSession(actor=SECRETARIAT, attendance=few))
    ref = {"session_id": sid, "council": snap.council, "held_on": held}
    await councils.act(
        s0, "carry_over", CarryOver(actor=SECRETARIAT, next_session=ref, reason="流会")
    )
    snap = await councils.act(sid, "send_notice", SessionAct(actor=SECRETARIAT))
    assert [i.case_id for i in snap.items] == [case_id]
    assert snap.notice_sent_on == held
    snap = await councils.act(sid, "send_materials", SessionAct(actor=SECRETARIAT))
    assert snap.materials_sent_on == held
    present = Attendance(present=[f"m{n}" for n in range(1, 9)])
    later = OpenSession(actor=CHAIR, attendance=present, on=held + dt.timedelta(days=1))
    with pytest.raises(InvalidPayload, match="in the future"):
        await councils.act(sid, "open_session", later)
    snap = await councils.act(sid, "open_session", OpenSession(actor=CHAIR, attendance=present))
    assert snap.state == "opened" and snap.today == held
    assert [a.act for a in snap.allowed] == [
        "open_item",
        "record_qa",
        "decide_item",
        "issue_answer",
        "close_session",
        "replace_closures",
    ]


@pytest.fixture
async def breakable(
    temporal_env: WorkflowEnvironment, executor: ThreadPoolExecutor, tmp_path: Path
) -> AsyncIterator[tuple[System, Path]]:
    """A worker with its own copy of the templates, to break and repair."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    settings = Settings(
        task_queue=f"tq-{uuid.uuid4().hex}",
        data_dir=tmp_path,
        database_url=_fresh_url("sqlite", tmp_path),
        sqlite_busy_timeout_ms=200,
        templates_dir=templates,
    )
    client = temporal_env.client
    engine = make_engine(settings.read_model_url, sqlite_busy_timeout_ms=200)
    town = municipality(POLICY)
    worker = build_worker(client, settings, executor, engine=engine, max_cached_workflows=0)
    async with worker:
        yield (
            System(
                gateway=CaseService(client, settings, town),
                engine=engine,
                settings=settings,
                worker=worker,
                client=client,
            ),
            templates / "html" / "toshinsho.html",
        )
    engine.dispose()


async def test_a_parked_answer_is_completed_after_the_admin_retries_the_case(
    breakable: tuple[System, Path],
) -> None:
    """The 答申書 step of the case parks while the session issues the answer: the session
    says so (item answer_pending, the case and its error), refuses to complete it while the
    case step is parked, and completes it with the number taken once an admin retried."""
    system, page = breakable
    cases = system.gateway
    councils = CouncilService(system.client, system.settings, cases.municipality)
    cid = f"c{uuid.uuid4().hex[:8]}"
    await councils.register(council(cid))
    case_id = await ready_case(cases, "WEB予約")
    sid = (await plan_on_its_day(councils, cid, 1)).session_id
    snap = await councils.act(sid, "add_items", AddItems(actor=SECRETARIAT, all_ready=True))
    assert case_id in [i.case_id for i in snap.items], snap.warnings
    await councils.act(sid, "send_notice", SessionAct(actor=SECRETARIAT))
    await councils.act(sid, "send_materials", SessionAct(actor=SECRETARIAT))
    present = Attendance(present=[f"m{n}" for n in range(1, 9)])
    await councils.act(sid, "open_session", OpenSession(actor=SECRETARIAT, attendance=present))
    await councils.act(sid, "open_item", ItemAct(actor=CHAIR, case_id=case_id))
    decide = DecideItem(actor=COUNCIL, case_id=case_id, outcome="approve", votes={"yes": 8})
    await councils.act(sid, "decide_item", decide)

    good = page.read_text(encoding="utf-8")
    page.write_text(good.replace("{{ conclusion }}", "{{ conclusoin }}"), encoding="utf-8")
    answer = IssueAnswer(actor=CHAIR, case_id=case_id, conclusion="諮問どおり行うことを可とする。")
    snap = await councils.act(sid, "issue_answer", answer)
    [item] = snap.items
    assert item.status is ItemStatus.answer_pending
    assert item.parked is not None and item.parked.case_id == case_id
    assert item.parked.trigger == "issue_answer" and "conclusoin" in item.parked.error
    assert item.answer is not None and item.answer.number == "第870号"
    assert "case_step_parked" in [w.code for w in snap.warnings]
    case = await cases.snapshot(case_id)
    assert case.state == "active" and case.parked is not None
    assert case.answer is not None and case.answer.number == "第870号"

    [row] = list_session_items(system.engine, session_id=sid)  # the read model says so too
    assert (row.status, row.answer_number) == ("answer_pending", "第870号")

    # while the case step is parked, the session cannot complete the item
    with pytest.raises(GuardFailed, match="still parked"):
        await councils.act(sid, "issue_answer", answer)
    assert (await councils.session(sid)).items[0].status is ItemStatus.answer_pending

    page.write_text(good, encoding="utf-8")
    admin = AdminInput(actor=actor("admin", "管理者"), reason="テンプレート修正")
    repaired = await cases.admin(case_id, "retry", admin)
    assert repaired.parked is None and repaired.state == "active"

    snap = await councils.act(sid, "issue_answer", answer)
    [item] = snap.items
    assert item.status is ItemStatus.answered and item.parked is None
    assert item.answer is not None and item.answer.number == "第870号"
    numbers = (await councils.council(cid)).numbers
    assert numbers == {case_id: "第870号"}  # no second number was taken
    [row] = list_session_items(system.engine, session_id=sid)
    assert row.status == "answered"
    [listed] = list_sessions(system.engine, council_id=cid)
    assert (listed.state, listed.version) == ("opened", snap.version)

    await councils.act(sid, "close_session", SessionAct(actor=SECRETARIAT))
    await councils.act(sid, "approve_minutes", SessionAct(actor=CHAIR))
    snap = await councils.act(sid, "publish_minutes", SessionAct(actor=SECRETARIAT))
    assert snap.minutes == "published"
    minutes = build_minutes(await councils.record(sid))
    assert minutes.items[0].answer is not None and "第870号" in minutes.items[0].answer
