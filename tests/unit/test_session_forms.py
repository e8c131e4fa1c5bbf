"""The session acts and the plan as forms: a posted form becomes the act's request (checked
against the request model the engine takes), or FormErrors naming each bad field, before
anything is sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from edge.sessions import request_model
from models.case.record import Actor
from models.case.states import Role
from models.session.record import DecideItem, OpenSession, RecordQA
from web.forms import FormErrors
from web.session_forms import (
    ACT_FIELDS,
    ITEM_ACTS,
    act_request,
    check_request,
    session_plan,
    with_choices,
)

CHAIR = Actor(role=Role.chair, name="委員1(m1)")
MEMBERS = tuple((f"m{n}", f"委員{n}") for n in range(1, 11))
COUNCILS = (("toshin-privacy", "とうしん市個人情報保護審議会"),)


def request_of(act: str, posted: dict[str, list[str]], owner: str = "保健センター") -> Any:
    fields = with_choices(ACT_FIELDS[act], {"present": MEMBERS, "case_ids": (("c1", "c1"),)})
    base: dict[str, Any] = {"actor": CHAIR} | ({"case_id": "c1"} if act in ITEM_ACTS else {})
    data = act_request(act, fields, posted, base, owner=owner)
    model = request_model(act)
    check_request(model, data, fields)
    return model.model_validate(data)


def errors_of(act: str, posted: dict[str, list[str]]) -> dict[str, str]:
    with pytest.raises(FormErrors) as err:
        request_of(act, posted)
    return err.value.errors


def test_a_conditional_approval_carries_each_line_as_a_condition_of_the_department() -> None:
    decided = request_of(
        "decide_item",
        {
            "outcome": ["approve_with_conditions"],
            "yes": ["7"],
            "no": ["1"],
            "conditions": ["データセンターを国内とする\n\n再委託を禁止する"],
            "condition_type": ["contract_clause"],
            "condition_due": ["before_contract"],
            "opinions": ["運用状況を報告すること"],
        },
    )
    assert isinstance(decided, DecideItem)
    assert [c.text for c in decided.conditions] == [
        "データセンターを国内とする",
        "再委託を禁止する",
    ]
    assert {c.owner for c in decided.conditions} == {"保健センター"}
    assert decided.votes is not None and (decided.votes.yes, decided.votes.no) == (7, 1)
    assert [o.text for o in decided.opinions] == ["運用状況を報告すること"]


@pytest.mark.parametrize(
    ("posted", "field"),
    [
        ({"outcome": ["continue"], "reason": ["業者の回答待ち"]}, "next_session"),
        ({"outcome": ["approve"], "yes": ["七"]}, "yes"),
        ({"outcome": ["approve"], "chair_casting": ["true"]}, "chair_casting"),
        ({"outcome": ["maybe"]}, "outcome"),
        ({}, "outcome"),
    ],
)
def test_a_bad_decision_names_its_field(posted: dict[str, list[str]], field: str) -> None:
    assert field in errors_of("decide_item", posted)


def test_attendance_takes_only_roster_members_and_lines_of_staff() -> None:
    opened = request_of(
        "open_session",
        {"present": ["m1", "m2"], "staff": ["総務課長\n総務課 湯浅"], "observers": ["2"]},
    )
    assert isinstance(opened, OpenSession)
    assert opened.attendance.present == ["m1", "m2"]
    assert opened.attendance.staff == ["総務課長", "総務課 湯浅"]
    assert opened.attendance.observers == 2
    assert "present" in errors_of("open_session", {"present": ["m1", "x9"]})


def test_a_question_is_required_and_the_speaker_is_one_of_the_roles() -> None:
    qa = request_of("record_qa", {"speaker_role": ["委員"], "question": ["ログは取得するか"]})
    assert isinstance(qa, RecordQA) and qa.qa.question == "ログは取得するか"
    assert set(errors_of("record_qa", {"speaker_role": ["市長"]})) == {"speaker_role", "question"}


def test_a_redaction_needs_the_passage_and_its_legal_basis() -> None:
    assert set(errors_of("redact", {"passage": ["保守業者のID"]})) == {"legal_basis"}


def test_the_agenda_takes_only_the_cases_offered() -> None:
    assert "case_ids" in errors_of("add_items", {})
    assert "case_ids" in errors_of("add_items", {"case_ids": ["somebody-elses"]})


def test_a_plan_is_made_in_japan_time() -> None:
    later = dt.date.today() + dt.timedelta(days=30)
    plan = session_plan(
        {
            "council_id": ["toshin-privacy"],
            "ordinal": ["3"],
            "held_on": [later.isoformat()],
            "starts": ["14:00"],
            "ends": ["16:00"],
            "place": ["庁議室"],
            "openness": ["open"],
        },
        COUNCILS,
    )
    assert plan.held_on == later and plan.starts_at.utcoffset() == dt.timedelta(hours=9)
    assert plan.session_id.startswith("toshin-privacy-")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends": ["13:00"]}, "ends"),
        ({"held_on": ["2027-13-01"]}, "held_on"),
        ({"openness": ["closed"]}, "closed_reason"),
        ({"council_id": ["another"]}, "council_id"),
        ({"place": [""]}, "place"),
    ],
)
def test_a_bad_plan_names_its_field(change: dict[str, list[str]], field: str) -> None:
    posted = {
        "council_id": ["toshin-privacy"],
        "ordinal": ["3"],
        "held_on": ["2027-02-10"],
        "starts": ["14:00"],
        "ends": ["16:00"],
        "place": ["庁議室"],
        "openness": ["open"],
        **change,
    }
    with pytest.raises(FormErrors) as err:
        session_plan(posted, COUNCILS)
    assert field in err.value.errors
