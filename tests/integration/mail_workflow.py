"""A test-only workflow that sends one reminder through the real ``send_reminder`` activity,
with a short timeout and quick retries. Imported by the tests and by the worker subprocess."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from models.case.document import Strict
    from models.tracking.reminders import ReminderMail, SendReminderResult


class SendOnceInput(Strict):
    mail: ReminderMail
    timeout_seconds: float = 30.0  # start-to-close of one try
    heartbeat_seconds: float = 2.0  # a try that stops heartbeating this long is retried


@workflow.defn(name="MailTestWorkflow")
class MailTestWorkflow:
    @workflow.run
    async def run(self, inp: SendOnceInput) -> SendReminderResult:
        """Send the reminder, retrying with backoff (test only)."""
        return await workflow.execute_activity(
            "send_reminder",
            inp.mail,
            result_type=SendReminderResult,
            start_to_close_timeout=timedelta(seconds=inp.timeout_seconds),
            heartbeat_timeout=timedelta(seconds=inp.heartbeat_seconds),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=0.3),
                backoff_coefficient=2.0,
                maximum_interval=timedelta(seconds=1.5),
                maximum_attempts=30,
            ),
        )
