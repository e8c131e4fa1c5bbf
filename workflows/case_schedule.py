"""Due dates of an approved case, as CaseWorkflow keeps them: reminders to send, overdue items
that move the case to 要対応, the periodic re-review, the deadlines read model, and when to
wake up next. Deterministic workflow code, used only by CaseWorkflow (workflows/case.py)."""

from __future__ import annotations

import datetime as dt

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar.clock import ClockEpoch, business_today
    from models.case.checks import engine_act
    from models.case.payloads import NoPayload, Reason
    from models.case.states import CaseState, Trigger
    from models.projection import ProjectDeadlinesInput
    from models.tracking.schedule import case_number, deadline_rows, due_items, mark_overdue, plan

from workflows.case_core import CaseCore, Effect

# States in which due dates run: conditions, obligations, the re-review.
SCHEDULED_STATES = frozenset(
    {CaseState.conditions_pending, CaseState.active, CaseState.attention, CaseState.review}
)


class CaseSchedule(CaseCore):
    """Sends what is due, flags what is overdue, opens the re-review; plans the next wake-up."""

    def _schedule(self) -> dt.datetime | None:
        """Send what is due, flag what is overdue, open a re-review; the next wake-up."""
        case, policy = self._case, self._config.policy
        if case.state not in SCHEDULED_STATES:
            return None
        if policy.day_seconds is not None and case.clock_epoch is None:
            case.clock_epoch = ClockEpoch(at=workflow.now(), on=self._today())
        today = self._today()
        now = workflow.now()
        last = case.history[-1]
        recorded_on = business_today(
            last.at, day_seconds=policy.day_seconds, epoch=case.clock_epoch
        )
        if last.on < recorded_on and now < last.at + policy.backfill_grace:
            return last.at + policy.backfill_grace  # still being entered after the fact
        due = plan(case, self._config, now, today)
        case.outbox.extend(due.send)
        case.sent_rungs.extend([n.key for n in due.send] + due.skipped)
        self._rungs_sent += len(due.send)
        self._prune_rungs()
        if due.newly_overdue:
            mark_overdue(self._case, due.newly_overdue)
        self._flag_overdue(today)
        if (
            case.state is CaseState.active
            and case.next_review_on is not None
            and today >= case.next_review_on
        ):
            self._fire_engine(Trigger.open_review, NoPayload(), today)
        if due.newly_overdue:
            return self._schedule()  # flagged: plan again from the new state
        return due.wake_at

    def _flag_overdue(self, today: dt.date) -> None:
        """Anything overdue or lapsed moves an operating case to 要対応 (attention)."""
        overdue = self._case.overdue_items()
        if overdue and self._case.state in (CaseState.active, CaseState.conditions_pending):
            reason = Reason(reason=f"期限超過・失効: {', '.join(overdue)}")
            self._fire_engine(Trigger.flag_attention, reason, today)

    def _fire_engine(self, trigger: Trigger, payload: NoPayload | Reason, today: dt.date) -> None:
        on = max(today, self._case.last_on)
        act = engine_act(self._case, self._config, self._machine, trigger, payload, on)
        if act is not None:
            self._fire(act)

    def _project_deadlines(self) -> None:
        """Keep the deadlines read model (and the department calendars) current."""
        case = self._case
        rows = deadline_rows(case) if case.state in SCHEDULED_STATES else []
        shown = [(r.key, r.what, r.due_on.isoformat()) for r in rows]
        if shown == case.deadlines_shown:
            return
        case.deadlines_shown = shown
        self._effects.append(
            Effect(
                step="project_deadlines",
                seq=case.seq,
                deadlines=ProjectDeadlinesInput(
                    case_id=case.case_id,
                    department=case.document.department,
                    case_number=case_number(case),
                    title=case.document.title,
                    rows=rows,
                ),
            )
        )

    def _prune_rungs(self) -> None:
        live = tuple(f"{self._case.case_id}:{item.key}:" for item in due_items(self._case))
        self._case.sent_rungs = [k for k in self._case.sent_rungs if k.startswith(live)]
