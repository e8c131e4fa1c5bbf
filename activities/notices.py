"""Reminders of what falls due: recipients from the municipality's directory, then one mail
per rung through the exactly-once mailer (activities/mail.py)."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.mail import MailActivities
from models.calendar.jcalendar import DateStyle
from models.errors import UnknownDepartment
from models.municipality import MailDirectory, recipients, responsible_department
from models.tracking.notices import DueNotice
from models.tracking.reminders import SendReminderResult, build_reminder_mail, case_link


class NoticeActivities:
    def __init__(self, mail: MailActivities, directory: MailDirectory, date_style: DateStyle):
        self._mail = mail
        self._directory = directory
        self._date_style = date_style

    @activity.defn
    async def send_due_notice(self, notice: DueNotice) -> SendReminderResult:
        """Send the reminder for one rung; a key already sent is not sent again."""
        department = responsible_department(self._directory, notice.department, notice.owner)
        try:
            to = recipients(self._directory, department, notice.audience)
        except UnknownDepartment as err:
            raise ApplicationError(
                err.message, type=err.error_type.value, non_retryable=True
            ) from None
        mail = build_reminder_mail(
            key=notice.key,
            case_number=notice.case_number,
            title=notice.title,
            what=notice.what,
            due_on=notice.due_on,
            link=case_link(self._directory.mail_link_base, notice.case_id),
            audience=notice.audience,
            department=department,
            recipients=to,
            date_style=self._date_style,
        )
        if notice.resend:
            mail = mail.model_copy(update={"resend_unknown": True})
        return await self._mail.send_reminder(mail)
