"""The calendar feed: iCalendar content, deterministic bytes, a department's export, the
feed tokens (only a hash kept; re-issue and revoke stop the old URL)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import Engine
from sqlmodel import Session, select

from edge.calendars import FeedTokens, department_feed
from edge.users import UserService
from models.accounts import UserRole
from models.errors import UnknownDepartment
from models.municipality import DepartmentContacts, MunicipalityConfig
from models.projection import DeadlineRow, DeadlineStatus, ProjectDeadlinesInput
from persistence.database import make_engine
from persistence.repository import replace_deadlines
from persistence.tables import CaseDeadlineRow, FeedTokenRow
from settings import Settings
from web.ics import SessionEvent, build_feed, event_uid
from web.routes.calendar import HideFeedTokens

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
TOWN = MunicipalityConfig(
    name="とうしん市",
    departments={
        "保健センター": DepartmentContacts(staff=["h@x.example"]),
        "図書館": DepartmentContacts(staff=["l@x.example"]),
    },
    mail_link_base="http://ui.example/namespaces/default/workflows",
)


def row(case_id: str, key: str, due: dt.date, what: str = "資料送付") -> CaseDeadlineRow:
    return CaseDeadlineRow(
        case_id=case_id,
        key=key,
        department="保健センター",
        case_number=f"諮問第{case_id[-1]}号",
        title=f"案件{case_id}の件名",
        what=what,
        due_on=due,
        status="open",
        updated_at=NOW,
    )


ROWS = [
    row("c1", "materials", dt.date(2030, 3, 2)),
    row("c2", "answer", dt.date(2030, 2, 1), what="答申"),
]


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def test_one_all_day_event_per_deadline_with_number_title_and_link() -> None:
    cal = parse(
        build_feed(
            ROWS,
            name="とうしん市 保健センター 期限",
            case_link=lambda case_id: f"http://ui/wf/case-{case_id}",
        )
    )
    assert str(cal["X-WR-CALNAME"]) == "とうしん市 保健センター 期限"
    events = cal.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["答申 案件 諮問第2号", "資料送付 案件 諮問第1号"]
    first = events[0]
    assert first.decoded("DTSTART") == dt.date(2030, 2, 1)  # a date: an all-day event
    assert first.decoded("DTEND") == dt.date(2030, 2, 2)
    assert str(first["DESCRIPTION"]) == "案件c2の件名\nhttp://ui/wf/case-c2"
    assert str(first["UID"]) == event_uid("c2", "answer")
    assert "c2" not in str(first["UID"])  # opaque, from the row key


def test_the_same_rows_give_the_same_bytes_whatever_the_order_or_the_hour() -> None:
    a = build_feed(ROWS, name="m", case_link=str, sessions=SESSIONS)
    later = [r.model_copy(update={"updated_at": NOW + dt.timedelta(hours=5)}) for r in ROWS]
    b = build_feed(list(reversed(later)), name="m", case_link=str, sessions=SESSIONS[::-1])
    assert a == b
    assert event_uid("c1", "materials") == event_uid("c1", "materials") != event_uid("c1", "answer")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'rm.db'}")
    with Session(engine) as session:
        for case_id, department, rows in [
            (
                "c1",
                "保健センター",
                [
                    ("materials", dt.date(2030, 3, 2), DeadlineStatus.open),
                    ("notice", dt.date(2029, 12, 1), DeadlineStatus.open),
                    ("answer", dt.date(2030, 4, 1), DeadlineStatus.met),
                ],
            ),
            ("c9", "図書館", [("materials", dt.date(2030, 3, 3), DeadlineStatus.open)]),
        ]:
            replace_deadlines(
                session,
                inp=ProjectDeadlinesInput(
                    case_id=case_id,
                    department=department,
                    case_number=f"諮問第{case_id}号",
                    title="件名",
                    rows=[DeadlineRow(key=k, what=k, due_on=d, status=s) for k, d, s in rows],
                ),
                now=NOW,
            )
        session.commit()
    yield engine
    engine.dispose()


def test_a_department_feed_lists_its_own_open_deadlines_from_the_day_on(engine: Engine) -> None:
    cal = parse(department_feed(engine, TOWN, "保健センター", dt.date(2030, 1, 1)))
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["materials 案件 諮問第c1号"]
    with pytest.raises(UnknownDepartment, match="図書室"):
        department_feed(engine, TOWN, "図書室", dt.date(2030, 1, 1))


SESSIONS = [
    SessionEvent(
        session_id=f"toshin-privacy-2029-{n}",
        name=f"とうしん市個人情報保護審議会 第{n}回",
        starts_at=dt.datetime(2030, 2, n, 14, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        ends_at=dt.datetime(2030, 2, n, 16, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        place="市役所3階庁議室",
        link=f"http://desk/sessions/toshin-privacy-2029-{n}",
    )
    for n in (2, 1)
]


def test_a_session_is_a_timed_event_with_its_place_and_desk_link() -> None:
    cal = parse(build_feed([], name="m", case_link=str, sessions=SESSIONS))
    first, second = cal.walk("VEVENT")
    assert str(first["SUMMARY"]) == "とうしん市個人情報保護審議会 第1回"
    assert first.decoded("DTSTART") == dt.datetime(2030, 2, 1, 5, tzinfo=dt.UTC)
    assert first.decoded("DTEND") == dt.datetime(2030, 2, 1, 7, tzinfo=dt.UTC)
    assert str(first["LOCATION"]) == "市役所3階庁議室"
    assert str(first["URL"]) == "http://desk/sessions/toshin-privacy-2029-1"
    assert str(second["SUMMARY"]).endswith("第2回")


@pytest.fixture
def users(tmp_path: Path) -> Iterator[UserService]:
    users = UserService(Settings(data_dir=tmp_path, database_url=""))
    users.add(
        username="kacho",
        display_name="課長",
        roles=[UserRole.department_head],
        department="保健センター",
        password="correct horse battery",
    )
    yield users
    users.engine.dispose()


def test_a_feed_token_opens_its_account_until_reissued_revoked_or_disabled(
    users: UserService,
) -> None:
    tokens = FeedTokens(users.engine)
    assert tokens.issued_at("kacho") is None
    first = tokens.issue("kacho")
    user = tokens.user_of(first)
    assert user is not None and user.username == "kacho"
    assert tokens.issued_at("kacho") is not None
    with Session(users.engine) as session:  # only the SHA-256 is kept
        stored = [r.id_hash for r in session.exec(select(FeedTokenRow))]
    assert first not in stored and len(stored) == 1 and len(stored[0]) == 64

    second = tokens.issue("kacho")
    assert tokens.user_of(first) is None  # re-issued: the old URL stops
    assert tokens.user_of(second) is not None
    users.set_disabled("kacho")
    assert tokens.user_of(second) is None
    users.set_disabled("kacho", disabled=False)
    assert tokens.revoke("kacho") == 1
    assert tokens.user_of(second) is None and tokens.issued_at("kacho") is None
    assert tokens.user_of("not-a-token") is None


def test_access_logs_name_a_feed_without_its_token() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/calendar/s3cr3t-TOKEN_x.ics?x=1", "1.1", 200), None,
    )  # fmt: skip
    assert HideFeedTokens().filter(record)
    assert "s3cr3t" not in record.getMessage()
    assert "/calendar/….ics?x=1" in record.getMessage()
