"""The session as people see it (``SessionSnapshot``), built from its record: a pure function
the workflow's query calls, so the CLI and the web render the same thing."""

from __future__ import annotations

import datetime as dt

from models.calendar.jcalendar import ClosureTable
from models.session.lifecycle import allowed_actions
from models.session.record import SessionRecord, SessionSnapshot
from models.session.schedule import materials_due, notice_due


def quorum_line(record: SessionRecord) -> str:
    r = record
    if r.attendance is None:
        return "attendance not yet recorded"
    present = r.council.voting_present(r.attendance.present)
    verdict = "quorate" if r.council.quorate(present) else "not quorate"
    return f"{present} of {r.council.seats} present: {verdict}"


def build_snapshot(
    record: SessionRecord, closures: ClosureTable, today: dt.date
) -> SessionSnapshot:
    r = record
    return SessionSnapshot(
        session_id=r.plan.session_id,
        council=r.council.name,
        plan=r.plan,
        state=r.state,
        items=r.items,
        attendance=r.attendance,
        quorum=quorum_line(r),
        notice_due=notice_due(r, closures),
        materials_due=materials_due(r, closures),
        notice_sent_on=r.notice_sent_on,
        materials_sent_on=r.materials_sent_on,
        minutes=r.minutes,
        minutes_due=r.minutes_due,
        redactions=r.redactions,
        reminders=r.reminders,
        warnings=r.warnings,
        document_failures=r.document_failures,
        today=today,
        allowed=allowed_actions(r.state, minutes=r.minutes),
        version=r.version,
    )
