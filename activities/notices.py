"""Reminders of what falls due: recipients from the municipality's directory, then mail."""

from __future__ import annotations

from temporalio import activity

from models.notices import DueNotice


class NoticeActivities:
    @activity.defn
    async def send_due_notice(self, notice: DueNotice) -> None:
        raise NotImplementedError  # wired to the mailer below once it lands
