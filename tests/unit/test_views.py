"""What a person reads of a session, a council and the case list, built from snapshots
(``models.views``): the lines, their loudness and the labels are the same for CLI and web."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from edge.loaders import load_municipality
from models.labels import ITEM_STATUS_LABELS, PARKED_MARK, SESSION_STATE_LABELS
from models.session.council import Council, SessionPlan
from models.session.council_registry import CouncilSnapshot
from models.session.record import AgendaItem, SessionSnapshot, SessionState
from models.views import Tone, case_list, council_sheet, quorum_needed, session_sheet
from tests.conftest import ROOT

TOWN = load_municipality(ROOT / "config" / "municipality.yaml")
D = dt.date
JST = dt.timezone(dt.timedelta(hours=9))
HELD = dt.datetime(2031, 2, 7, 10, 3, tzinfo=JST)


def council(**overrides: Any) -> Council:
    data: dict[str, Any] = {
        "council_id": "niiza",
        "name": "情報公開・個人情報保護審議会",
        "seats": 4,
        "members": [
            {"member_id": "m1", "name": "石野", "role": "chair", "term_start": "2030-04-01"},
            {"member_id": "m2", "name": "神橋", "term_start": "2030-04-01"},
            {
                "member_id": "m3",
                "name": "西城",
                "term_start": "2030-04-01",
                "term_end": "2031-01-31",
            },
            {"member_id": "m4", "name": "坂井", "term_start": "2030-04-01"},
            {"member_id": "x1", "name": "専門", "role": "expert", "term_start": "2030-04-01"},
        ],
    }
    return Council.model_validate({**data, **overrides})


PLAN = SessionPlan(
    council_id="niiza",
    ordinal=3,
    starts_at=HELD,
    ends_at=HELD + dt.timedelta(hours=2),
    place="第1委員会室",
)


def snapshot(**changes: Any) -> SessionSnapshot:
    data: dict[str, Any] = {
        "session_id": PLAN.session_id,
        "council": council().name,
        "plan": PLAN,
        "state": SessionState.planned,
        "items": [],
        "attendance": None,
        "quorum": "attendance not yet recorded",
        "notice_due": D(2031, 1, 31),
        "materials_due": D(2031, 2, 3),
        "notice_sent_on": None,
        "materials_sent_on": None,
        "minutes": None,
        "minutes_due": None,
        "redactions": [],
        "reminders": [],
        "warnings": [],
    }
    return SessionSnapshot.model_validate({**data, **changes})


def head(snap: SessionSnapshot, today: dt.date) -> dict[str, tuple[str, Tone]]:
    sheet = session_sheet(snap, council(), TOWN, today)
    return {line.label: (line.value, line.tone) for line in sheet.head}


def test_a_notice_not_sent_by_its_due_date_is_loud_and_one_sent_late_is_a_warning() -> None:
    before = head(snapshot(), D(2031, 1, 30))
    assert before["開催通知"][1] is Tone.plain and before["開催通知"][0].endswith("not sent")
    after = head(snapshot(), D(2031, 2, 1))
    assert after["開催通知"] == (after["開催通知"][0], Tone.error)
    assert after["開催通知"][0].endswith("not sent, overdue")
    late = head(snapshot(notice_sent_on=D(2031, 2, 2)), D(2031, 2, 5))
    assert late["開催通知"][1] is Tone.warning and late["開催通知"][0].endswith("(late)")
    on_time = head(snapshot(notice_sent_on=D(2031, 1, 30)), D(2031, 2, 5))
    assert on_time["開催通知"][1] is Tone.plain


def test_the_agenda_shows_labels_votes_and_who_approved_the_answer() -> None:
    item = AgendaItem.model_validate(
        {
            "case_id": "3f9a0c1d2e4b",
            "title": "WEB予約",
            "category": "consultation",
            "status": "answered",
            "outcome": "approve",
            "votes": {"yes": 2, "no": 2, "chair_casting": True},
            "answer": {
                "number": "第870号",
                "conclusion": "可",
                "approved_by": "chair",
                "issued_on": "2031-02-20",
            },
        }
    )
    sheet = session_sheet(snapshot(items=[item]), council(), TOWN, D(2031, 2, 1))
    (row,) = sheet.agenda.rows
    assert row[3] == f"answered ({ITEM_STATUS_LABELS[item.status]})"
    assert row[4] == "approve (可)"
    assert row[5] == "賛2 否2 棄0 会長裁決:可"
    assert row[6].startswith("第870号 (会長一任, ")
    assert head(snapshot(), D(2031, 1, 1))["state"][0] == (
        f"planned ({SESSION_STATE_LABELS[SessionState.planned]})"
    )


def test_attendance_names_the_absent_members_serving_that_day() -> None:
    snap = snapshot(attendance={"present": ["m1", "m2"], "observers": 3})
    sheet = session_sheet(snap, council(), TOWN, D(2031, 2, 7))
    assert sheet.attendance is not None
    lines = {line.label: line.value for line in sheet.attendance}
    assert lines["欠席委員"] == "坂井（委員）、専門（専門委員）"  # m3 left in January
    assert lines["傍聴者"] == "3人"


@dataclass
class Row:
    case_id: str = "3f9a0c1d2e4b"
    fiscal_year: int = 2017
    state: str = "ready"
    kind: str = "outsourcing"
    department: str = "保健センター"
    title: str = "あ" * 45
    next_deadline: dt.date | None = None
    next_deadline_what: str | None = None


def test_the_case_list_labels_the_state_and_cuts_long_titles() -> None:
    grid = case_list(
        [Row(), Row(title="短い", next_deadline=D(2018, 1, 9), next_deadline_what="x")], TOWN
    )
    assert grid.title == "cases (2)"
    assert grid.rows[0][2] == "ready (付議待ち)"
    assert grid.rows[0][5] == "あ" * 39 + "…" and grid.rows[1][5] == "短い"
    assert grid.rows[1][6] == "2018-01-09 x" and grid.rows[0][6] == ""


def test_the_council_sheet_states_the_quorum_and_says_when_no_number_is_out() -> None:
    c = council()
    assert quorum_needed(c) == 3
    assert quorum_needed(council(quorum="half_of_seats")) == 2
    snap: Any = {"council": c, "sessions": [], "numbers": {}, "as_of": "2031-01-01T00:00:00+09:00"}
    sheet = council_sheet(CouncilSnapshot.model_validate(snap), TOWN)
    lines = {line.label: line.value for line in sheet.head}
    assert lines["定足数"].startswith("委員の過半数 (majority_of_seats): 3 of 4 present")
    assert sheet.numbers is None


def test_an_item_whose_answer_step_parked_shows_its_status_the_case_and_the_error() -> None:
    item = AgendaItem.model_validate(
        {
            "case_id": "3f9a0c1d2e4b",
            "title": "WEB予約",
            "category": "consultation",
            "status": "answer_pending",
            "outcome": "approve",
            "parked": {
                "case_id": "3f9a0c1d2e4b",
                "trigger": "issue_answer",
                "error": "document renderer down",
                "since": "2031-02-20T01:00:00+00:00",
            },
        }
    )
    sheet = session_sheet(snapshot(items=[item]), council(), TOWN, D(2031, 2, 20))
    (row,) = sheet.agenda.rows
    assert row[3] == f"answer_pending ({ITEM_STATUS_LABELS[item.status]})"
    assert PARKED_MARK in row[6]
    [note] = [n for n in sheet.notes if PARKED_MARK in n.label]
    assert "3f9a0c1d2e4b" in note.label
    assert note.value == "issue_answer: document renderer down"
    assert note.tone is Tone.warning
