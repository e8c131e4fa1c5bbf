"""The council and session projections: one row per council and session, one per agenda
item, no personal names, and a newer version is never overwritten by an older one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine

from activities.projection import ProjectionActivities
from models.case.document import Category
from models.case.payloads import Votes
from models.projection import CouncilProjectionInput, SessionProjectionInput
from models.session.record import (
    QA,
    AgendaItem,
    AnswerDraft,
    ItemOutcome,
    ItemStatus,
    MinutesState,
    SessionRecord,
    SessionState,
    SessionWarning,
)
from persistence.database import make_engine
from persistence.repository import list_councils, list_session_items, list_sessions
from tests.conftest import read_model_backends
from tests.read_models import fresh_url
from tests.unit.test_council import council, record


@pytest.fixture(params=read_model_backends())
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_url(request.param, tmp_path) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def planned() -> SessionRecord:
    rec = record()
    rec.state = SessionState.planned
    rec.items = []
    return rec


def decided() -> SessionRecord:
    rec = record(present=["m1", "m2", "m4"])
    rec.items = [
        _item("c-001", ItemStatus.answered, ItemOutcome.approve, "第7号"),
        _item("c-002", ItemStatus.continued, ItemOutcome.continue_, None),
    ]
    rec.state = SessionState.closed
    rec.minutes = MinutesState.drafting
    rec.minutes_due = dt.date(2031, 3, 9)
    rec.warnings = [SessionWarning(code="late_materials", message="資料送付が期限後")]
    return rec


def _item(case_id: str, status: ItemStatus, outcome: ItemOutcome, number: str | None) -> AgendaItem:
    answer = None
    if number is not None:
        answer = AnswerDraft(
            number=number, conclusion="妥当", approved_by="session", issued_on=dt.date(2031, 2, 7)
        )
    return AgendaItem(
        case_id=case_id,
        title="住民情報システムの更新（山田太郎氏の件）",
        category=Category.consultation,
        status=status,
        outcome=outcome,
        votes=Votes(yes=3, no=0, abstain=0),
        qa=[QA(speaker_role="委員", speaker="佐藤", question="委託先の監督は", answer="年1回")],
        answer=answer,
    )


def test_a_session_row_and_its_agenda_follow_the_newest_version(engine: Engine) -> None:
    acts = ProjectionActivities(engine)
    assert acts.project_session(SessionProjectionInput(record=planned(), version=1)).written

    (row,) = list_sessions(engine)
    assert (row.session_id, row.council_id, row.fiscal_year, row.ordinal) == (
        "niiza-2030-3",
        "niiza",
        2030,
        3,
    )
    assert (row.held_on, row.starts_at) == (
        dt.date(2031, 2, 7),
        dt.datetime(2031, 2, 7, 1, 3, tzinfo=dt.UTC),
    )
    assert (row.state, row.minutes, row.item_count, row.version) == ("planned", None, 0, 1)

    assert acts.project_session(SessionProjectionInput(record=decided(), version=5)).written
    (row,) = list_sessions(engine, council_id="niiza", state="closed", fiscal_year=2030)
    assert (row.state, row.minutes, row.minutes_due) == ("closed", "drafting", dt.date(2031, 3, 9))
    assert (row.item_count, row.warning_count, row.version) == (2, 1, 5)
    items = list_session_items(engine, session_id="niiza-2030-3")
    assert [(i.case_id, i.position, i.status, i.outcome, i.answer_number) for i in items] == [
        ("c-001", 1, "answered", "approve", "第7号"),
        ("c-002", 2, "continued", "continue", None),
    ]

    # a late retry of an older act, and a repeat of the newest, change nothing
    assert not acts.project_session(SessionProjectionInput(record=planned(), version=3)).written
    assert not acts.project_session(SessionProjectionInput(record=planned(), version=5)).written
    (row,) = list_sessions(engine)
    assert (row.state, row.item_count, row.version) == ("closed", 2, 5)
    assert len(list_session_items(engine, session_id="niiza-2030-3")) == 2

    # an item dropped from the agenda disappears with the next version
    fewer = decided()
    fewer.items = fewer.items[1:]
    assert acts.project_session(SessionProjectionInput(record=fewer, version=6)).written
    assert [i.case_id for i in list_session_items(engine, session_id="niiza-2030-3")] == ["c-002"]
    assert list_sessions(engine, state="planned") == []
    assert list_sessions(engine, council_id="other") == []
    assert list_sessions(engine, fiscal_year=2031) == []


def test_a_council_row_counts_the_roster_and_keeps_the_newest_version(engine: Engine) -> None:
    acts = ProjectionActivities(engine)
    inp = CouncilProjectionInput(council=council(), sessions_planned=0, version=10)
    assert acts.project_council(inp).written
    assert not acts.project_council(inp).written  # a retry

    newer = CouncilProjectionInput(council=council(seats=5), sessions_planned=2, version=11)
    assert acts.project_council(newer).written
    assert not acts.project_council(inp).written  # out of order: older than the row
    (row,) = list_councils(engine)
    assert (row.council_id, row.name, row.seats, row.quorum) == (
        "niiza",
        "情報公開・個人情報保護審議会",
        5,
        "majority_of_seats",
    )
    assert (row.member_count, row.sessions_planned, row.version) == (5, 2, 11)


def test_no_personal_names_reach_the_council_and_session_tables(engine: Engine) -> None:
    acts = ProjectionActivities(engine)
    acts.project_council(CouncilProjectionInput(council=council(), sessions_planned=1, version=1))
    acts.project_session(SessionProjectionInput(record=decided(), version=1))
    names = ["石野", "神橋", "西城", "坂井", "専門", "山田", "佐藤"]  # members, a title, a speaker
    with engine.connect() as conn:
        for table in ("councils", "sessions", "session_items"):
            rows = conn.exec_driver_sql(f"SELECT * FROM {table}").all()
            assert rows, table
            for values in rows:
                text = " ".join(str(v) for v in values)
                assert not [n for n in names if n in text], (table, text)


def test_concurrent_writes_in_any_order_leave_the_newest(engine: Engine) -> None:
    """Retries and late attempts race: whatever the order, the newest version stays."""
    acts = ProjectionActivities(engine)
    inputs = []
    for version in range(1, 9):
        rec = decided()
        rec.items = rec.items[: version % 2 + 1]
        inputs.append(SessionProjectionInput(record=rec, version=version))
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(acts.project_session, reversed(inputs)))

    assert results[0].written  # version 8, whenever it ran, was written
    (row,) = list_sessions(engine)
    assert (row.version, row.item_count) == (8, 1)
    assert [i.case_id for i in list_session_items(engine, session_id=row.session_id)] == ["c-001"]
