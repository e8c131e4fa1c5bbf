"""Durations, lead times and retry limits: one object in the workflow input.

Tests set the seconds small; a municipality sets its own lead times.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from models.document import Strict


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

    @property
    def retry_initial(self) -> timedelta:
        return timedelta(seconds=self.retry_initial_seconds)

    @property
    def retry_max(self) -> timedelta:
        return timedelta(seconds=self.retry_max_seconds)

    @property
    def step_timeout(self) -> timedelta:
        return timedelta(seconds=self.step_timeout_seconds)
