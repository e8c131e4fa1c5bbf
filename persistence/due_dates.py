"""What falls due, for the desk's 期限 page: the open rows of the ``deadlines`` table (the
conditions, obligations and re-reviews of answered cases) and, for cases not yet answered,
the next deadline of their ``cases`` row (a tracked case's next deadline is one of its
``deadlines`` rows already, so it is not counted twice)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from models.case.deadlines import TRACKING
from models.case.lifecycle import TERMINAL
from models.projection import DeadlineStatus
from persistence.tables import CaseDeadlineRow, CaseRow

UNTRACKED = tuple(s.value for s in TRACKING + tuple(TERMINAL))


@dataclass(frozen=True)
class DueItem:
    case_id: str
    title: str
    department: str
    what: str  # as projected: Japanese, or a deadline key of models.labels.DEADLINE_LABELS
    due_on: dt.date
    window_from: dt.date | None


def due_until(
    session: Session, *, department: str | None, until: dt.date, limit: int = 2000
) -> list[DueItem]:
    """Everything open that falls due on or before ``until`` (overdue included), soonest
    first; one department's, or every department's for ``department=None``."""
    tracked = (
        select(CaseDeadlineRow)
        .where(CaseDeadlineRow.status == DeadlineStatus.open.value)
        .where(col(CaseDeadlineRow.due_on) <= until)
    )
    steps = (
        select(CaseRow)
        .where(col(CaseRow.next_deadline).is_not(None))
        .where(col(CaseRow.next_deadline) <= until)
        .where(col(CaseRow.state).not_in(UNTRACKED))
    )
    if department is not None:
        tracked = tracked.where(CaseDeadlineRow.department == department)
        steps = steps.where(CaseRow.department == department)
    items = [
        DueItem(d.case_id, d.title, d.department, d.what, d.due_on, d.window_from)
        for d in session.exec(tracked.order_by(col(CaseDeadlineRow.due_on)).limit(limit))
    ]
    for c in session.exec(steps.order_by(col(CaseRow.next_deadline)).limit(limit)):
        assert c.next_deadline is not None
        items.append(
            DueItem(
                c.case_id, c.title, c.department, c.next_deadline_what or "", c.next_deadline, None
            )
        )
    items.sort(key=lambda i: (i.due_on, i.title, i.case_id, i.what))
    return items[:limit]
