"""Reminder mails: what they say, to whom, and that nothing but the five fields goes in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from edge.loaders import load_municipality
from models.calendar.jcalendar import DateStyle
from models.errors import ErrorType, UnknownDepartment, from_type
from models.municipality import (
    DepartmentContacts,
    MailDirectory,
    recipients,
    responsible_department,
)
from models.tracking.reminders import (
    ESCALATION_BODY,
    ESCALATION_SUBJECT,
    OWNER_BODY,
    OWNER_SUBJECT,
    Audience,
    ReminderMail,
    build_reminder_mail,
    case_link,
)
from tests.conftest import ROOT
from tests.factories import document

DIRECTORY = MailDirectory(
    departments={
        "保健センター": DepartmentContacts(
            staff=["a@x.example", "b@x.example"], head=["chief@x.example"]
        ),
        "図書館": DepartmentContacts(staff=["lib@x.example"]),
    },
    secretariat=["sec@x.example", "chief@x.example"],
)


def mail(audience: Audience = Audience.owner, **overrides: object) -> ReminderMail:
    args: dict[str, object] = {
        "key": "case-0123456789ab/materials/owner",
        "case_number": "諮問第871号",
        "title": "集団検診WEB予約受付システムの導入に伴う外部結合",
        "what": "資料送付",
        "due_on": dt.date(2019, 5, 1),
        "link": "http://127.0.0.1:8233/namespaces/default/workflows/case-0123456789ab",
        "audience": audience,
        "department": "保健センター",
        "recipients": ["a@x.example"],
        "date_style": DateStyle.wareki,
    }
    args.update(overrides)
    return build_reminder_mail(**args)  # type: ignore[arg-type]


def test_owner_reminder_names_what_is_due_and_when_in_wareki() -> None:
    m = mail()
    assert m.subject == "【期限通知】資料送付（令和元年5月1日 まで）案件 諮問第871号"
    assert "期限が近づいています" in m.body
    assert "期限: 令和元年5月1日" in m.body
    assert "案件の詳細: http://127.0.0.1:8233/namespaces/default/workflows/case-0123456789ab" in (
        m.body
    )
    assert (m.idempotency_key, m.department, m.to) == (
        "case-0123456789ab/materials/owner",
        "保健センター",
        ["a@x.example"],
    )


def test_escalation_says_the_deadline_has_passed_in_the_municipality_date_style() -> None:
    m = mail(Audience.escalation, date_style=DateStyle.seireki_wareki)
    assert (
        m.subject
        == "【督促】資料送付（2019年(令和元年)5月1日）の期限を過ぎています 案件 諮問第871号"
    )
    assert "期限を過ぎています" in m.body and "期限が近づいています" not in m.body


@pytest.mark.parametrize(
    ("audience", "subject", "body"),
    [
        (Audience.owner, OWNER_SUBJECT, OWNER_BODY),
        (Audience.escalation, ESCALATION_SUBJECT, ESCALATION_BODY),
    ],
)
def test_nothing_but_the_five_fields_fills_the_template(
    audience: Audience, subject: str, body: str
) -> None:
    slots = {"number": "<N>", "title": "<T>", "what": "<W>", "link": "<L>"}
    m = mail(
        audience, case_number="<N>", title="<T>", what="<W>", link="<L>", due_on=dt.date(2030, 1, 2)
    )
    assert m.subject == subject.format(**slots, due="令和12年1月2日")
    assert m.body == body.format(**slots, due="令和12年1月2日")
    assert set(ReminderMail.model_fields) == {
        "idempotency_key",
        "department",
        "audience",
        "to",
        "subject",
        "body",
        "resend_unknown",  # a flag for the sender, never in the message
    }


def test_no_personal_or_document_data_reaches_a_reminder() -> None:
    doc = document(
        counterparty="山田太郎", affair={"name": "住民健康管理事務", "purpose": "受診勧奨"}
    )
    text = " ".join(
        [mail(a, title=doc.title).subject + mail(a, title=doc.title).body for a in Audience]
    )
    private = [
        "山田太郎",
        doc.affair.name,
        doc.affair.purpose,
        *doc.record_items,
        doc.reason,
        doc.linkage_form or "",
        *(m.text for m in doc.operational_measures),
        *(m.text for m in doc.system_measures),
    ]
    for value in private:
        assert value and value not in text, value


def test_owner_reminders_go_to_the_staff() -> None:
    assert recipients(DIRECTORY, "保健センター", Audience.owner) == ["a@x.example", "b@x.example"]


def test_escalations_go_to_the_head_and_the_secretariat_once_each() -> None:
    assert recipients(DIRECTORY, "保健センター", Audience.escalation) == [
        "chief@x.example",
        "sec@x.example",
    ]
    assert recipients(DIRECTORY, "図書館", Audience.escalation) == [
        "sec@x.example",
        "chief@x.example",
    ]


@pytest.mark.parametrize(
    ("owner", "reminded"),
    [
        ("図書館", "図書館"),  # a condition the answer gives to another department
        ("委託事業者", "保健センター"),  # not a department: through the case's department
        (None, "保健センター"),  # obligations and re-reviews have no owner of their own
    ],
)
def test_a_condition_owner_that_is_a_department_is_reminded_itself(
    owner: str | None, reminded: str
) -> None:
    assert responsible_department(DIRECTORY, "保健センター", owner) == reminded


def test_an_unknown_department_is_a_typed_error_naming_it() -> None:
    with pytest.raises(UnknownDepartment, match="図書室") as err:
        recipients(DIRECTORY, "図書室", Audience.owner)
    assert err.value.error_type == ErrorType.UnknownDepartment == "UnknownDepartment"
    assert isinstance(from_type("UnknownDepartment", "x"), UnknownDepartment)


def test_the_demo_directory_covers_every_department_in_the_scenarios() -> None:
    town = load_municipality(ROOT / "config" / "municipality.yaml")
    used: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "department" and isinstance(value, str):
                    used.add(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in Path(ROOT / "scenarios").rglob("*.yaml"):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert "保健センター" in used
    assert used <= set(town.departments), used - set(town.departments)
    assert town.secretariat
    for department in used:
        assert recipients(town, department, Audience.owner)
        assert recipients(town, department, Audience.escalation)


def test_case_link_points_at_the_case_workflow() -> None:
    assert case_link("http://h:8233/namespaces/default/workflows/", "0123456789ab") == (
        "http://h:8233/namespaces/default/workflows/case-0123456789ab"
    )
