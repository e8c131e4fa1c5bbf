"""DocumentWorkflow: one on-demand generation (CLI ``document generate``): load the data from
the case or session workflow, render, store. Short-lived; a failure ends it with the error."""

from __future__ import annotations

import datetime as dt

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.documents import DocumentActivities
    from models.documents.spec import DocumentRequest, GenerateDocumentResult

TIMEOUT = dt.timedelta(seconds=120)
RETRY = RetryPolicy(
    initial_interval=dt.timedelta(seconds=1),
    maximum_interval=dt.timedelta(seconds=10),
    maximum_attempts=3,
)


@workflow.defn
class DocumentWorkflow:
    """Generate one document type for a case or a session, now. Idempotent by data version."""

    @workflow.run
    async def run(self, req: DocumentRequest) -> GenerateDocumentResult:
        """Load the source data, then render and store every asked format."""
        source = await workflow.execute_activity_method(
            DocumentActivities.load_document_source,
            req,
            start_to_close_timeout=dt.timedelta(seconds=30),
            retry_policy=RETRY,
        )
        return await workflow.execute_activity_method(
            DocumentActivities.generate_document,
            source,
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )
