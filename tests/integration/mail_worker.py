"""A worker for MailTestWorkflow in its own process, so a test can SIGKILL it mid-send:
``python -m tests.integration.mail_worker TARGET TASK_QUEUE DB_URL SMTP_PORT``.
Prints ``ready`` once it polls."""

from __future__ import annotations

import asyncio
import sys

from temporalio.client import Client
from temporalio.worker import Worker

from activities.mail import MailActivities, SmtpConfig
from persistence.database import make_engine
from tests.integration.mail_workflow import MailTestWorkflow
from tests.keys import TEST_CONVERTER
from workflows import workflow_runner


async def main(target: str, task_queue: str, db_url: str, smtp_port: int) -> None:
    client = await Client.connect(target, data_converter=TEST_CONVERTER)
    mail = MailActivities(
        make_engine(db_url), SmtpConfig(port=smtp_port, timeout_seconds=5, lease_seconds=3)
    )
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[MailTestWorkflow],
        activities=[mail.send_reminder],
        workflow_runner=workflow_runner(),
        max_cached_workflows=0,  # no sticky queue: a killed worker does not hold the workflow
    ):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
