"""The side effects of a case, as the case workflow runs them: the activity behind each step
(projection, deadlines, documents, the parent link), the reminder sender, and running the owed
steps in order, parking one that keeps failing until an admin retries, skips or aborts it.
Deterministic workflow code, used only by CaseWorkflow (workflows/case.py)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as TemporalTimeoutError

with workflow.unsafe.imports_passed_through():
    from activities.archive import ArchiveActivities
    from activities.deadlines import DeadlineActivities
    from activities.documents import DocumentActivities
    from activities.links import CaseLinkActivities
    from activities.notices import NoticeActivities
    from activities.projection import ProjectionActivities
    from models.case.checks import check_abort, check_admin
    from models.case.record import (
        AdminAction,
        AdminInput,
        CaseSnapshot,
        CaseWarning,
        ChangeCaseInfo,
        ParkedStep,
        ResetMark,
        TransitionRecord,
    )
    from models.case.states import CaseState
    from models.errors import CaseError
    from models.policy import CasePolicy
    from models.projection import CaseResetInput
    from models.tracking.notices import DueNotice

from workflows.case_core import AdminCommand, CaseCore, Effect

ABORT_BY_RULE = "abort-is-a-table-rule"  # patch: admin_abort fires the rule ``abort``
REMINDER_PARKS = "reminder-failure-parks"  # patch: a reminder failed for good parks
MAIL_TIMEOUT = dt.timedelta(minutes=2)  # one try; above the SMTP client's own waits
DOCUMENT_TIMEOUT = dt.timedelta(seconds=120)  # a PDF with embedded fonts takes seconds


def step_retry(policy: CasePolicy, attempts: int) -> RetryPolicy:
    """Backoff from the policy; ``attempts`` 0 retries until the activity succeeds."""
    return RetryPolicy(
        initial_interval=policy.retry_initial,
        backoff_coefficient=2.0,
        maximum_interval=policy.retry_max,
        maximum_attempts=attempts,
    )


async def execute(effect: Effect, policy: CasePolicy) -> str | None:
    """Run the activity of one step with the policy's bounded retries; raises when they are
    spent. Returns a warning to record, if any (a parent that could not be superseded)."""
    retry = step_retry(policy, policy.step_attempts)
    if effect.projection is not None:
        await workflow.execute_local_activity_method(
            ProjectionActivities.project_transition,
            effect.projection,
            start_to_close_timeout=policy.step_timeout,
            retry_policy=retry,
        )
    elif effect.deadlines is not None:
        await workflow.execute_local_activity_method(
            DeadlineActivities.project_deadlines,
            effect.deadlines,
            start_to_close_timeout=policy.step_timeout,
            retry_policy=retry,
        )
    elif effect.document is not None:
        await workflow.execute_activity_method(
            DocumentActivities.generate_document,
            effect.document,
            start_to_close_timeout=max(policy.step_timeout, DOCUMENT_TIMEOUT),
            heartbeat_timeout=policy.step_timeout,  # a dead worker's try is retried soon
            retry_policy=retry,
        )
    elif effect.archive is not None:
        await workflow.execute_activity_method(
            ArchiveActivities.archive_case,
            effect.archive,
            start_to_close_timeout=policy.step_timeout,
            retry_policy=retry,
        )
    elif effect.supersede is not None:
        result = await workflow.execute_activity_method(
            CaseLinkActivities.supersede_case,
            effect.supersede,
            start_to_close_timeout=policy.step_timeout,
            retry_policy=retry,
        )
        if not result.superseded:
            return result.reason or "parent not superseded"
    return None


async def repair_after_reset(inp: CaseResetInput, policy: CasePolicy) -> int:
    """The case's rows rewritten and the reset audited, after a reset (an activity)."""
    return await workflow.execute_local_activity_method(
        ProjectionActivities.repair_after_reset,
        inp,
        start_to_close_timeout=policy.step_timeout,
        retry_policy=step_retry(policy, policy.step_attempts),
    )


async def describe_change_case(change_case: str, policy: CasePolicy) -> ChangeCaseInfo:
    """Look the change case up (an activity: a workflow cannot query another)."""
    return await workflow.execute_activity_method(
        CaseLinkActivities.describe_change_case,
        change_case,
        start_to_close_timeout=policy.step_timeout,
        retry_policy=step_retry(policy, policy.step_attempts),
    )


async def send_notice(notice: DueNotice, policy: CasePolicy) -> None:
    """One reminder, its tries heartbeating: a live try is never timed out and retried beside
    itself, however slow the server; one try ends well inside MAIL_TIMEOUT; a deferring or
    unreachable server is retried for the policy's mail window."""
    await workflow.execute_activity_method(
        NoticeActivities.send_due_notice,
        notice,
        start_to_close_timeout=max(policy.step_timeout, MAIL_TIMEOUT),
        heartbeat_timeout=policy.step_timeout,
        schedule_to_close_timeout=policy.mail_retry_window,
        retry_policy=step_retry(policy, 0),
    )


def failure_text(err: BaseException) -> str:
    """A failure and its causes in one line (a timeout carries the last try's failure)."""
    parts: list[str] = []
    cause: BaseException | None = getattr(err, "cause", None) or err
    while cause is not None and len(parts) < 4:
        parts.append(str(cause))
        cause = getattr(cause, "cause", None)
    return ": ".join(p for p in parts if p)


def rejected(err: CaseError) -> ApplicationError:
    """A refusal as the caller sees it: the domain error's type travels with it."""
    return ApplicationError(err.message, type=err.error_type.value, non_retryable=True)


class CaseSteps(CaseCore):
    """Runs the steps a case owes, in order; parks one whose retries are spent."""

    async def _drain_effects(self) -> None:
        while self._effects:
            self._running = True
            effect = self._effects.pop(0)
            await self._run_effect(effect)
            self._running = False
            if not any(e.seq <= effect.seq for e in self._effects):
                self._settled_seq = max(self._settled_seq, effect.seq)

    async def _run_effect(self, effect: Effect) -> None:
        attempts = 0
        while True:
            try:
                if effect.reset is not None:
                    repaired = await repair_after_reset(effect.reset, self._config.policy)
                    self._reset_repaired(effect.reset.mark, repaired)
                    return
                warning = await execute(effect, self._config.policy)
            # a failed local activity surfaces as its own ApplicationError, not ActivityError
            except (ActivityError, ApplicationError, TemporalTimeoutError) as err:
                attempts += self._config.policy.step_attempts
                cause = getattr(err, "cause", None) or err
                if not await self._park(effect.step, effect.seq, str(cause), attempts):
                    return
                continue
            if effect.projection is not None:
                self._projected_seq = max(self._projected_seq, effect.seq)
            if warning is not None:
                self._case.warnings.append(
                    CaseWarning(code="parent_not_superseded", message=warning, seq=effect.seq)
                )
            return

    def _reset_repaired(self, mark: ResetMark, repaired: int) -> None:
        self._case.resets = [
            m.model_copy(update={"rows_repaired": repaired}) if m == mark else m
            for m in self._case.resets
        ]

    async def _send_notices(self) -> None:
        """Send the case's queued reminders one by one, forever. The activity sends each key
        at most once across tries and runs. One that fails for good (5xx, unknown department,
        delivery unknown, the mail window spent) parks as the step ``send_reminder``: an
        admin's retry sends it again, skip drops it, abort ends the case. Runs begun before
        REMINDER_PARKS recorded a warning and dropped it."""
        case, parks = self._case, 0
        while True:
            await workflow.wait_condition(lambda: bool(case.outbox))
            notice: DueNotice = case.outbox[0]
            try:
                await send_notice(notice, self._config.policy)
            except ActivityError as err:
                self._resending = False
                if workflow.patched(REMINDER_PARKS):
                    parks += 1
                    error = f"{notice.what}: {failure_text(err)}"
                    if await self._park("send_reminder", case.seq, error, parks):
                        case.outbox[0] = notice.model_copy(update={"resend": True})
                        self._resending = True
                        continue
                else:
                    cause = getattr(err, "cause", None) or err
                    case.warnings.append(
                        CaseWarning(
                            code="reminder_not_sent",
                            message=f"{notice.what}: {cause}"[:500],
                            seq=case.seq,
                        )
                    )
            self._resending, parks = False, 0
            case.outbox.pop(0)

    async def _park(self, step: str, seq: int, error: str, attempts: int) -> bool:
        """Park the failed step until an admin decides; True means run it again. One step is
        parked at a time: a second waits for the first to be settled."""
        if self._case.parked is not None:
            await workflow.wait_condition(lambda: self._case.parked is None)
        self._case.parked = ParkedStep(
            step=step,
            seq=seq,
            error=error[:500],
            attempts=attempts,
            since=workflow.now(),
        )
        self._upsert_search_attributes()
        workflow.logger.warning("case %s parked step %s (seq %s)", self._case.case_id, step, seq)
        await workflow.wait_condition(lambda: self._admin is not None)
        assert self._admin is not None
        command, self._admin = self._admin, None
        by_rule = command.action == "abort" and workflow.patched(ABORT_BY_RULE)
        if by_rule:
            self._effects.clear()
            self._fire(  # the rule ``abort`` (guard: a step is parked), checked by the validator
                check_abort(
                    self._case,
                    self._config,
                    self._machine,
                    command.request,
                    self._today(),
                    verify_actor=False,
                )
            )
        self._case.parked = None
        self._case.admin_log.append(
            AdminAction(
                action=command.action,
                step=step,
                seq=seq,
                actor=command.request.actor,
                reason=command.request.reason,
                at=workflow.now(),
            )
        )
        if command.action == "abort" and not by_rule:
            self._abort_directly(command.request)
        self._upsert_search_attributes()
        return command.action == "retry"

    def _abort_directly(self, request: AdminInput) -> None:
        """How histories recorded before ABORT_BY_RULE ended a case: no trigger, no Machine."""
        self._case.seq += 1
        self._case.history.append(
            TransitionRecord(
                seq=self._case.seq,
                trigger=None,
                source=self._case.state,
                dest=CaseState.aborted,
                actor=request.actor,
                at=workflow.now(),
                on=max(self._today(), self._case.last_on),
                reason=request.reason,
            )
        )
        self._case.state = CaseState.aborted
        self._effects.clear()
        self._effects.append(self._projection_effect(self._case.history[-1]))

    def _check_admin(self, inp: AdminInput) -> None:
        try:
            check_admin(self._case, inp)
        except CaseError as err:
            raise rejected(err) from None

    async def _admin_command(
        self, action: Literal["retry", "skip", "abort"], inp: AdminInput
    ) -> CaseSnapshot:
        self._admin = AdminCommand(action=action, request=inp)
        await workflow.wait_condition(lambda: self._admin is None)
        await workflow.wait_condition(
            lambda: (
                self._case.parked is not None
                or not (self._effects or self._running or self._resending)
            )
        )
        return self._snapshot()
