"""Workflow classes and the sandbox runner they run in (worker and replayer share it)."""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.case import CaseWorkflow
from workflows.council import CouncilWorkflow
from workflows.documents import DocumentWorkflow
from workflows.session import SessionWorkflow

ALL_WORKFLOWS = [CaseWorkflow, CouncilWorkflow, SessionWorkflow, DocumentWorkflow]

# Our contract modules are pure; passing them through saves re-importing them per run.
PASSTHROUGH = ("models", "activities", "transitions", "pydantic", "pydantic_core")


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )
