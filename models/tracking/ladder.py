"""Reminder ladders: when to remind the owner before a due date and when to escalate after it.

Offsets count municipal business days (:class:`models.calendar.business_days.ClosureTable`).
When the due day itself is a closed day (a certificate expiry on a Saturday, say), the
last business day before it is the day people can still act: the "d0" rung and the
"before" rungs are counted from that day, while escalation counts from the due day
itself (the first escalation comes on the first business day after the due day).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from models.calendar.business_days import ClosureTable
from models.case.document import Strict

MAX_OFFSET = 260  # about a year of business days; a larger value is a typo


class Audience(StrEnum):
    owner = "owner"  # the owning department's staff
    escalation = "escalation"  # department head + secretariat


class ReminderLadder(Strict):
    """Business-day offsets of the reminders around one due date."""

    before_business_days: list[int] = Field(default_factory=lambda: [30, 7, 1])
    on_day: bool = True
    escalate_after_business_days: list[int] = Field(default_factory=lambda: [1])

    @field_validator("before_business_days", "escalate_after_business_days")
    @classmethod
    def _offsets(cls, value: list[int], info: ValidationInfo) -> list[int]:
        name = info.field_name
        for n in value:
            if not 1 <= n <= MAX_OFFSET:
                raise ValueError(
                    f"{name} has {n}: every offset must be between 1 and {MAX_OFFSET} business days"
                )
        duplicates = sorted({n for n in value if value.count(n) > 1})
        if duplicates:
            raise ValueError(f"{name} repeats {', '.join(map(str, duplicates))}")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not (self.before_business_days or self.on_day or self.escalate_after_business_days):
            raise ValueError(
                "the ladder has no rung: give before_business_days, on_day or "
                "escalate_after_business_days"
            )
        return self


class Rung(Strict):
    """One reminder: ``key`` is stable ("b30", "b7", "b1", "d0", "e1" …)."""

    key: str
    on: date
    audience: Audience


def rungs(due_on: date, ladder: ReminderLadder, closures: ClosureTable) -> list[Rung]:
    """The ladder's reminders for ``due_on`` in date order (strictly increasing dates).

    ``bN``: N business days before the last business day on or before ``due_on``;
    ``d0``: that day (``due_on`` itself when it is open); ``eM``: the M-th business day
    after ``due_on``. Raises ValueError if a rung falls outside the closure table.
    """
    last_open = closures.previous_business_day(due_on)
    out = [
        Rung(key=f"b{n}", on=closures.add_business_days(last_open, -n), audience=Audience.owner)
        for n in sorted(ladder.before_business_days, reverse=True)
    ]
    if ladder.on_day:
        out.append(Rung(key="d0", on=last_open, audience=Audience.owner))
    out.extend(
        Rung(key=f"e{m}", on=closures.add_business_days(due_on, m), audience=Audience.escalation)
        for m in sorted(ladder.escalate_after_business_days)
    )
    return out
