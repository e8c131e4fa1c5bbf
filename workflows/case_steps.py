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
    from activities.deadlines import DeadlineActivities
    from activities.documents import DocumentActivities
    from activities.links import CaseLinkActivities
    from activities.notices import NoticeActivities
    from activities.projection import ProjectionActivities
    from models.case.checks import check_abort, check_admin
    from models.case.record import (
        AdminAction,
        AdminInput,
        CaseRecord,
        CaseSnapshot,
        CaseWarning,
        ChangeCaseInfo,
        ParkedStep,
        TransitionRecord,
    )
    from models.case.states import CaseState
    from models.errors import CaseError
    from models.policy import CasePolicy
    from models.tracking.notices import DueNotice

from workflows.case_core import AdminCommand, CaseCore, Effect

ABORT_BY_RULE = "abort-is-a-table-rule"  # patch: admin_abort fires the rule ``abort``
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


async def describe_change_case(change_case: str, policy: CasePolicy) -> ChangeCaseInfo:
    """Look the change case up (an activity: a workflow cannot query another)."""
    return await workflow.execute_activity_method(
        CaseLinkActivities.describe_change_case,
        change_case,
        start_to_close_timeout=policy.step_timeout,
        retry_policy=step_retry(policy, policy.step_attempts),
    )


async def send_notices(case: CaseRecord, policy: CasePolicy) -> None:
    """Send the case's queued reminders one by one, forever: each is retried with backoff
    until the mail server takes it (the activity sends each key at most once, across retries
    and runs); one refused for good (unknown department, 5xx) becomes a warning."""
    retry = step_retry(policy, 0)
    while True:
        await workflow.wait_condition(lambda: bool(case.outbox))
        notice: DueNotice = case.outbox[0]
        try:
            await workflow.execute_activity_method(
                NoticeActivities.send_due_notice,
                notice,
                start_to_close_timeout=policy.step_timeout,
                retry_policy=retry,
            )
        except ActivityError as err:
            cause = getattr(err, "cause", None) or err
            case.warnings.append(
                CaseWarning(
                    code="reminder_not_sent",
                    message=f"{notice.what}: {cause}"[:500],
                    seq=case.seq,
                )
            )
        case.outbox.pop(0)


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
                warning = await execute(effect, self._config.policy)
            # a failed local activity surfaces as its own ApplicationError, not ActivityError
            except (ActivityError, ApplicationError, TemporalTimeoutError) as err:
                attempts += self._config.policy.step_attempts
                if not await self._park(effect, err, attempts):
                    return
                continue
            if effect.projection is not None:
                self._projected_seq = max(self._projected_seq, effect.seq)
            if warning is not None:
                self._case.warnings.append(
                    CaseWarning(code="parent_not_superseded", message=warning, seq=effect.seq)
                )
            return

    async def _park(self, effect: Effect, err: Exception, attempts: int) -> bool:
        """Park the failed step until an admin decides; True means run it again."""
        cause = getattr(err, "cause", None) or err
        self._case.parked = ParkedStep(
            step=effect.step,
            seq=effect.seq,
            error=str(cause)[:500],
            attempts=attempts,
            since=workflow.now(),
        )
        self._upsert_search_attributes()
        workflow.logger.warning(
            "case %s parked step %s (seq %s)", self._case.case_id, effect.step, effect.seq
        )
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
                step=effect.step,
                seq=effect.seq,
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
            lambda: self._case.parked is not None or not (self._effects or self._running)
        )
        return self._snapshot()
