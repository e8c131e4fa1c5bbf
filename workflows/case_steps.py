"""The side effects of a case, as the case workflow runs them: the activity behind each step
(projection, deadlines, documents, the parent link) and the reminder sender. Deterministic
workflow code, used only by CaseWorkflow (workflows/case.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import DeadlineActivities
    from activities.documents import DocumentActivities
    from activities.links import CaseLinkActivities
    from activities.notices import NoticeActivities
    from activities.projection import ProjectionActivities
    from models.case import CaseRecord, CaseWarning
    from models.documents.spec import GenerateDocumentInput
    from models.notices import DueNotice
    from models.policy import CasePolicy
    from models.projection import (
        ProjectDeadlinesInput,
        ProjectTransitionInput,
        SupersedeInput,
    )

DOCUMENT_TIMEOUT = dt.timedelta(seconds=120)  # a PDF with embedded fonts takes seconds

StepName = Literal["project_transition", "supersede_case", "project_deadlines", "generate_document"]


@dataclass
class Effect:
    """A step the case owes after a transition; exactly one input is set."""

    step: StepName
    seq: int
    projection: ProjectTransitionInput | None = None
    supersede: SupersedeInput | None = None
    deadlines: ProjectDeadlinesInput | None = None
    document: GenerateDocumentInput | None = None


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
