"""A reminder the case workflow asks to be sent: what is due, when, to whom (by role).

Only the case number, its title, what is due and when travel here: never personal data.
Recipients are resolved from the municipality's directory by the activity.
"""

from __future__ import annotations

import datetime as dt

from models.case.document import Strict
from models.tracking.ladder import Audience


class DueNotice(Strict):
    key: str  # idempotency key: case id + item + rung; one mail per key, ever
    case_id: str
    case_number: str  # 答申 number, else the external reference, else the case id
    title: str
    department: str  # the case's department
    owner: str | None = None  # a condition's owner: reminded instead when it is a department
    audience: Audience
    what: str
    due_on: dt.date
    overdue: bool = False  # an escalation after the due date
    resend: bool = False  # an admin retried it after a try whose delivery is unknown
