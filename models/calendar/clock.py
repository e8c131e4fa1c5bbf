"""Where a business date falls in time, for the timers of reminders and due dates.

By default a day is a real day and a reminder goes out at ``reminder_hour`` JST. A policy
may shrink the day to a few seconds (``day_seconds``): the calendar rules stay the same
(business days, windows, ladders) but time runs fast from an epoch the case records when it
starts scheduling. Tests and demos use that; municipalities never do.
"""

from __future__ import annotations

import datetime as dt
import math

from models.case.document import Strict

JST = dt.timezone(dt.timedelta(hours=9))


class ClockEpoch(Strict):
    at: dt.datetime  # the instant the case started scheduling
    on: dt.date  # the business date at that instant


def instant(
    on: dt.date, hour: float, *, day_seconds: float | None, epoch: ClockEpoch | None
) -> dt.datetime:
    """The instant of ``hour`` o'clock on business date ``on``."""
    if day_seconds is None or epoch is None:
        return dt.datetime.combine(on, dt.time(), JST) + dt.timedelta(hours=hour)
    days = (on - epoch.on).days + hour / 24
    return epoch.at + dt.timedelta(seconds=days * day_seconds)


def business_today(
    now: dt.datetime, *, day_seconds: float | None, epoch: ClockEpoch | None
) -> dt.date:
    """The business date at instant ``now``."""
    if day_seconds is None or epoch is None:
        return now.astimezone(JST).date()
    elapsed = (now - epoch.at).total_seconds() / day_seconds
    return epoch.on + dt.timedelta(days=math.floor(elapsed))
