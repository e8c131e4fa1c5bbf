"""The session's own clockwork: sleep until the next reminder falls due (or an act changed
what is due), then remind the secretariat once per kind. Workflow code (deterministic)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import models.session.record as s
    from models.calendar.jcalendar import ClosureTable
    from models.session.schedule import finished, next_reminder
    from workflows import session_steps as steps


async def wait_for_due_or_change(
    record: s.SessionRecord, closures: ClosureTable, changed: Callable[[], bool]
) -> None:
    """Until the next reminder is due, an act changed the session or it is finished."""
    due = next_reminder(record, closures)
    timeout = None
    if due is not None:
        timeout = max(0.0, (due[0] - workflow.now()).total_seconds())
    with contextlib.suppress(TimeoutError):  # the reminder is due
        await workflow.wait_condition(lambda: finished(record) or changed(), timeout=timeout)


async def remind_if_due(record: s.SessionRecord, closures: ClosureTable) -> None:
    """Remind the secretariat of the overdue notice, materials or minutes (once each)."""
    due = next_reminder(record, closures)
    if due is not None and due[0] <= workflow.now():
        await steps.remind(record, due[1], due[2])
        record.reminders.append(due[1])
