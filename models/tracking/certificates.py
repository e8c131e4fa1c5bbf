"""Vendor certificates (ISMS, Privacy Mark, ISMAP) and the month arithmetic their periods use.

Two ways to count months, both from 民法 §§140–143:

- :func:`add_months` counts from an event (初日不算入): the period ends on the day that
  corresponds to the event day, or on the month's last day when that day does not exist
  (1/31 + 1 month → 2/28 or 2/29). Recurring reviews use it.
- :func:`period_end` counts a validity that starts on its first day (初日算入): the period
  ends the day before the corresponding day, or on the month's last day when there is no
  corresponding day (付与 2023-12-01 + 2 years → 2025-11-30; 2024-02-29 + 2 years →
  2026-02-28). Certificate expiries use it.

Pure (stdlib + pydantic + models.*), safe in the workflow sandbox.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum

from pydantic import ValidationInfo, field_validator

from models.case.document import Strict
from models.limits import CalendarDate, ShortText

_ONE_DAY = timedelta(days=1)


def add_months(d: date, months: int) -> date:
    """The day ``months`` after (or before, if negative) ``d``, clamped to the month's end."""
    years, month0 = divmod(d.month - 1 + months, 12)
    year, month = d.year + years, month0 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def period_end(start: date, months: int) -> date:
    """Last day of a period of ``months`` (>= 1) that begins on and includes ``start``."""
    if months < 1:
        raise ValueError(f"months must be >= 1, got {months}")
    years, month0 = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month0 + 1
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return date(year, month, last)
    return date(year, month, start.day) - _ONE_DAY


def isms_expiry(issued_on: date) -> date:
    """Last valid day of an ISMS certificate: 3 years, issue day included
    (2023-06-15 → 2026-06-14; 2024-02-29 → 2027-02-28)."""
    return period_end(issued_on, 36)


def privacy_mark_expiry(granted_on: date) -> date:
    """Last valid day of a Privacy Mark: 2 years from 付与日, that day included
    (付与 2023-12-01 → 満了 2025-11-30)."""
    return period_end(granted_on, 24)


def ismap_expiry(audit_period_end: date) -> date:
    """Last day of an ISMAP listing: 1 year 4 months from the day after the audited period.

    ISMAP 基本規程 3.5 gives 「監査の対象期間の末日の翌日から1年4ヶ月後まで」. We count the
    16 months with the first day included, so the period ends the day before the
    corresponding day: audit period ends 2023-03-31 → counting starts 2023-04-01 → last
    valid day 2024-07-31. The literal reading would also allow 2024-08-01; planning for the
    earlier day is on time under both readings. Audit period ending 2023-10-30 → 2025-02-28.
    """
    return period_end(audit_period_end + _ONE_DAY, 16)


class CertificateScheme(StrEnum):
    isms = "isms"  # ISO/IEC 27001 (ISMS適合性評価制度)
    privacy_mark = "privacy_mark"  # プライバシーマーク (JIPDEC)
    ismap = "ismap"  # ISMAPクラウドサービスリスト登録


class Certificate(Strict):
    """One certificate as issued; a renewal is a new Certificate (the caller replaces it)."""

    scheme: CertificateScheme
    vendor: ShortText
    number: ShortText
    issued_on: CalendarDate
    expires_on: CalendarDate  # the last valid day

    @field_validator("expires_on")
    @classmethod
    def _after_issue(cls, value: date, info: ValidationInfo) -> date:
        issued = info.data.get("issued_on")
        if issued is not None and value <= issued:
            how = "precedes" if value < issued else "is the same day as"
            raise ValueError(
                f"expires_on {value.isoformat()} {how} issued_on {issued.isoformat()}; "
                "a certificate must expire after it is issued"
            )
        return value
