"""Durations, lead times and retry limits: one object in the workflow input.

Tests set the seconds small; a municipality sets its own lead times.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from models.case.document import Strict
from models.tracking.ladder import ReminderLadder


class CasePolicy(Strict):
    notice_lead_business_days: int = Field(default=10, ge=0)  # 開催通知: about two weeks
    materials_lead_business_days: int = Field(default=5, ge=0)  # 資料送付: about one week
    triage_due_business_days: int = Field(default=10, ge=0)
    precheck_due_business_days: int = Field(default=20, ge=0)
    answer_due_days: int = Field(default=14, ge=0)  # decision → 答申 (calendar days)
    step_attempts: int = Field(default=5, ge=1)  # activity attempts before the step parks
    retry_initial_seconds: float = Field(default=1.0, gt=0)
    retry_max_seconds: float = Field(default=60.0, gt=0)
    step_timeout_seconds: float = Field(default=30.0, gt=0)
    history_event_limit: int = Field(default=2_000, ge=20)  # continue-as-new past this
    # reminders and re-review (issue 4)
    reminder_ladder: ReminderLadder = Field(default_factory=ReminderLadder)
    reminder_hour: float = Field(default=9.0, ge=0, lt=24)  # JST, on the rung's business date
    day_seconds: float | None = Field(default=None, gt=0)  # None: real days (models.calendar.clock)
    rereview_months: int | None = Field(default=36, ge=1)  # periodic re-review; None: never
    review_response_business_days: int = Field(default=20, ge=1)
    material_change_business_days: int = Field(default=20, ge=1)  # PIA redone within this
    # A case entered after the fact (its last act dated before today) is chased only this long
    # after that act, so the secretariat can finish entering a paper-era case first.
    backfill_grace_hours: float = Field(default=24.0, ge=0)
    # A reminder the mail server keeps deferring (4xx) or that cannot reach the server is
    # retried this long, then parked for an admin; a 5xx parks it at once.
    mail_retry_minutes: float = Field(default=360.0, gt=0)

    @property
    def backfill_grace(self) -> timedelta:
        return timedelta(hours=self.backfill_grace_hours)

    @property
    def mail_retry_window(self) -> timedelta:
        return timedelta(minutes=self.mail_retry_minutes)

    @property
    def retry_initial(self) -> timedelta:
        return timedelta(seconds=self.retry_initial_seconds)

    @property
    def retry_max(self) -> timedelta:
        return timedelta(seconds=self.retry_max_seconds)

    @property
    def step_timeout(self) -> timedelta:
        return timedelta(seconds=self.step_timeout_seconds)
