"""Reminder mails: who gets them and what they say. Pure and sandbox-safe.

A reminder carries no personal data: only the case number, the case title, what is due, the
due date (in the municipality's date style) and a link to the case. Department staff get the
``owner`` reminder before a deadline; the department head and the secretariat get the
``escalation`` (督促) once it has passed.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from models.calendar.jcalendar import DateStyle, format_date
from models.case.document import Strict
from models.ids import case_workflow_id
from models.tracking.ladder import Audience


class ReminderMail(Strict):
    """One reminder, ready to send. ``idempotency_key`` makes it go out at most once."""

    idempotency_key: str = Field(min_length=1, max_length=200)
    department: str
    audience: Audience
    to: list[str] = Field(min_length=1)
    subject: str
    body: str
    # an admin's word to send again a mail whose delivery is unknown (activities/mail.py)
    resend_unknown: bool = False


OWNER_SUBJECT = "【期限通知】{what}（{due} まで）案件 {number}"
ESCALATION_SUBJECT = "【督促】{what}（{due}）の期限を過ぎています 案件 {number}"

_FIELDS = """案件番号: {number}
件名: {title}
期限の内容: {what}
期限: {due}

案件の詳細: {link}
"""
_FOOTER = """
このメールは toshin から自動送信されています。個人情報は記載していません。
内容は上記のリンク先でご確認ください。
"""
OWNER_BODY = (
    "ご担当者様\n\n次の案件の期限が近づいています。期限までの対応をお願いします。\n\n"
    + _FIELDS
    + _FOOTER
)
ESCALATION_BODY = (
    "所属長様・審議会事務局各位\n\n次の案件は期限を過ぎています。対応状況をご確認ください。\n\n"
    + _FIELDS
    + _FOOTER
)

_TEMPLATES = {
    Audience.owner: (OWNER_SUBJECT, OWNER_BODY),
    Audience.escalation: (ESCALATION_SUBJECT, ESCALATION_BODY),
}


def case_link(link_base: str, case_id: str) -> str:
    """The link a reminder points to: ``link_base`` followed by the case's workflow id."""
    return f"{link_base.rstrip('/')}/{case_workflow_id(case_id)}"


def build_reminder_mail(
    *,
    key: str,
    case_number: str,
    title: str,
    what: str,
    due_on: dt.date,
    link: str,
    audience: Audience,
    department: str,
    recipients: list[str],
    date_style: DateStyle = DateStyle.wareki,
) -> ReminderMail:
    """The reminder for one deadline of one case; nothing but these fields goes into it."""
    subject, body = _TEMPLATES[audience]
    values = {
        "number": case_number,
        "title": title,
        "what": what,
        "due": format_date(due_on, date_style),
        "link": link,
    }
    return ReminderMail(
        idempotency_key=key,
        department=department,
        audience=audience,
        to=list(recipients),
        subject=subject.format(**values),
        body=body.format(**values),
    )


class SendReminderResult(Strict):
    """``sent``: delivered by this call; ``already_sent``: an earlier try delivered it, so
    nothing was sent now. A try whose delivery cannot be known fails instead
    (``MailOutcomeUnknown``, see activities/mail.py)."""

    status: Literal["sent", "already_sent"]
    message_id: str
    attempts: int  # tries recorded in the outbox for this key, this one included
