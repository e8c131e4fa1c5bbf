"""Council rules and the pure checks behind session acts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from models.errors import GuardFailed, InvalidPayload, InvalidTransition, RoleNotAllowed
from models.session.checks import check_attendance, check_decide, check_votes
from models.session.council import Council, SessionPlan
from models.session.record import Attendance, DecideItem, SessionRecord
from tests.factories import actor

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
    data.update(overrides)
    return Council.model_validate(data)


def record(present: list[str] | None = None, **council_overrides: Any) -> SessionRecord:
    plan = SessionPlan(
        council_id="niiza",
        ordinal=3,
        starts_at=HELD,
        ends_at=HELD + dt.timedelta(hours=2),
        place="第1委員会室",
    )
    rec = SessionRecord(plan=plan, council=council(**council_overrides), state="opened")
    if present is not None:
        rec.attendance = Attendance(present=present)
    return rec


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {
                "members": [
                    {"member_id": "a", "name": "A", "role": "chair", "term_start": "2030-04-01"},
                    {"member_id": "b", "name": "B", "role": "chair", "term_start": "2030-04-01"},
                ]
            },
            "exactly one chair",
        ),
        ({"seats": 2}, "4 members for 2 seats"),
        ({"council_id": "Niiza City"}, "council_id"),
    ],
)
def test_roster_rules(change: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        council(**change)


def test_experts_attend_but_do_not_count_for_quorum() -> None:
    board = council()
    assert board.voting_present(["m1", "m2", "x1"]) == 2
    assert not board.quorate(2)  # 過半数 of 4 seats is 3
    assert council(quorum="half_of_seats").quorate(2)


def test_a_closed_session_needs_a_reason_and_times_need_a_zone() -> None:
    with pytest.raises(ValidationError, match="closed_reason is required"):
        SessionPlan(
            council_id="niiza",
            ordinal=1,
            starts_at=HELD,
            ends_at=HELD + dt.timedelta(hours=1),
            place="x",
            openness="closed",
        )
    with pytest.raises(ValidationError, match="time zone"):
        SessionPlan(
            council_id="niiza",
            ordinal=1,
            starts_at=dt.datetime(2031, 2, 7, 10),
            ends_at=dt.datetime(2031, 2, 7, 11),
            place="x",
        )


def test_attendance_must_be_serving_members() -> None:
    with pytest.raises(InvalidPayload, match="not members of this council: \\['zz'\\]"):
        check_attendance(record(), Attendance(present=["m1", "zz"]))
    with pytest.raises(InvalidPayload, match="not serving"):
        check_attendance(record(), Attendance(present=["m1", "m3"]))  # m3's term ended 1/31
    check_attendance(record(), Attendance(present=["m1", "m2", "x1"]))


def test_votes_cannot_exceed_the_members_present_with_a_seat() -> None:
    rec = record(["m1", "m2", "m4", "x1"])  # 3 voting members + an expert
    with pytest.raises(GuardFailed, match="votes cast \\(4\\) exceed members present \\(3\\)"):
        check_votes(
            rec,
            DecideItem(actor=actor("council"), case_id="c", outcome="approve", votes={"yes": 4}),
        )
    check_votes(
        rec, DecideItem(actor=actor("council"), case_id="c", outcome="approve", votes={"yes": 3})
    )


def test_the_chair_breaks_ties_only_where_the_council_says_so() -> None:
    rec = record(["m1", "m2"], chair_breaks_ties=False)
    tie = DecideItem(
        actor=actor("council"),
        case_id="c",
        outcome="approve",
        votes={"yes": 1, "no": 1, "chair_casting": True},
    )
    with pytest.raises(InvalidPayload, match="chair_casting"):
        check_votes(rec, tie)


def test_decisions_need_the_council_an_open_session_and_an_item_on_the_agenda() -> None:
    rec = record(["m1", "m2", "m4"])
    decide = DecideItem(actor=actor("council"), case_id="c9", outcome="approve", votes={"yes": 3})
    with pytest.raises(InvalidPayload, match="not on this session's agenda"):
        check_decide(rec, decide, HELD.date())
    with pytest.raises(RoleNotAllowed):
        check_decide(rec, decide.model_copy(update={"actor": actor("secretariat")}), HELD.date())
    rec.state = "closed"  # type: ignore[assignment]
    with pytest.raises(InvalidTransition, match="while the session is closed"):
        check_decide(rec, decide, HELD.date())
