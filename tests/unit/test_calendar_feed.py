"""The department calendar feed: iCalendar content, deterministic bytes, the HTTP feed."""

from __future__ import annotations

import datetime as dt
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import Engine
from sqlmodel import Session

from models.errors import UnknownDepartment
from models.municipality import DepartmentContacts, MunicipalityConfig
from models.projection import DeadlineRow, DeadlineStatus, ProjectDeadlinesInput
from persistence.database import make_engine
from persistence.repository import replace_deadlines
from persistence.tables import CaseDeadlineRow
from web.feed import department_feed, feed_path, make_server
from web.ics import build_feed, event_uid

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
            ROWS, municipality="とうしん市", department="保健センター", link_base="http://ui/wf"
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
    a = build_feed(ROWS, municipality="m", department="保健センター", link_base="l")
    later = [r.model_copy(update={"updated_at": NOW + dt.timedelta(hours=5)}) for r in ROWS]
    b = build_feed(
        list(reversed(later)), municipality="m", department="保健センター", link_base="l"
    )
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


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers["Content-Type"], err.read()


def test_the_http_feed_serves_a_department_and_404s_the_rest(engine: Engine) -> None:
    server = make_server(engine, TOWN, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        status, ctype, body = get(base + feed_path("図書館"))
        assert (status, ctype) == (200, "text/calendar; charset=utf-8")
        assert [str(e["SUMMARY"]) for e in parse(body).walk("VEVENT")] == [
            "materials 案件 諮問第c9号"
        ]
        assert get(base + feed_path("図書室"))[:2] == (404, "text/plain; charset=utf-8")
        assert get(base + "/calendar/")[0] == 404
        assert get(base + "/")[0] == 404
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
