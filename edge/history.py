"""A workflow's history read for an admin: the acts of a case's current run as reset points,
the reset itself (``ResetWorkflowExecution``), and the error of a workflow task that keeps
failing. Payloads and failures are decoded with the client's data converter (the keyring),
never logged."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, ResetReapplyExcludeType, ResetReapplyType
from temporalio.api.enums.v1 import WorkflowTaskFailedCause as Cause
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionDescription

from models.admin import ResetPoint
from models.case.record import ActInput, TransitionRecord

ACT_UPDATE = "act"  # a person's act on a case (CaseWorkflow.act)


@dataclass
class RunHistory:
    run_id: str
    events: list[HistoryEvent]


async def current_run(client: Client, workflow_id: str) -> RunHistory:
    """Every event of the workflow's current run (a reset can only go back within it)."""
    handle = client.get_workflow_handle(workflow_id)
    description = await handle.describe()
    events = [
        e
        async for e in client.get_workflow_handle(
            workflow_id, run_id=description.run_id
        ).fetch_history_events()
    ]
    return RunHistory(run_id=description.run_id, events=events)


@dataclass
class AcceptedUpdate:
    """An update the run accepted and completed successfully: an act."""

    name: str
    event: HistoryEvent  # its UpdateAccepted event
    task_completed: int  # the WorkflowTaskCompleted that accepted it (0: the run's first task)

    @property
    def on(self) -> dt.datetime:
        return self.event.event_time.ToDatetime(tzinfo=dt.UTC)


def accepted_updates(run: RunHistory) -> list[AcceptedUpdate]:
    """Every update of the run that succeeded, in order, with the task that accepted it
    (a reset to that task drops the update and everything after it)."""
    found: list[AcceptedUpdate] = []
    last_task_completed = 0
    succeeded = {
        e.workflow_execution_update_completed_event_attributes.meta.update_id
        for e in run.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
        and e.workflow_execution_update_completed_event_attributes.outcome.HasField("success")
    }
    for event in run.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            last_task_completed = event.event_id
        if event.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            continue
        request = event.workflow_execution_update_accepted_event_attributes.accepted_request
        if request.meta.update_id in succeeded:
            found.append(AcceptedUpdate(request.input.name, event, last_task_completed))
    return found


def session_acts(run: RunHistory, acts: set[str]) -> list[AcceptedUpdate]:
    """The session's acts in this run (``acts``: the session table's update names)."""
    return [u for u in accepted_updates(run) if u.name in acts]


def session_reset_points(done: list[AcceptedUpdate], offset: int) -> list[ResetPoint]:
    """One point before each of a session's acts ``done`` in its run: ``seq`` is the version
    it keeps (``offset``: the acts before this run)."""
    return [
        ResetPoint(
            seq=offset + kept,
            trigger=u.name,
            event_id=u.event.event_id,
            reset_event_id=u.task_completed,
        )
        for kept, u in enumerate(done)
        if u.task_completed
    ]


async def reset_points(
    client: Client, run: RunHistory, history: list[TransitionRecord]
) -> list[ResetPoint]:
    """One point before each act of the run: the workflow task that accepted the act.
    Resetting there keeps everything up to the transition before the act (``seq``) and
    drops the act and all that followed it."""
    points: list[ResetPoint] = []
    for update in accepted_updates(run):
        if update.name != ACT_UPDATE:
            continue  # not an act
        event, last_task_completed = update.event, update.task_completed
        request = event.workflow_execution_update_accepted_event_attributes.accepted_request
        [act] = await client.data_converter.decode(list(request.input.args.payloads), [ActInput])
        fired = [
            t.seq
            for t in history
            if t.trigger is not None
            and t.trigger.value == act.trigger
            and t.seq > (points[-1].seq if points else -1)
        ]
        if not fired or last_task_completed == 0:
            continue  # refused later by its handler, or accepted in the run's first task
        points.append(
            ResetPoint(
                seq=fired[0] - 1,
                trigger=act.trigger,
                event_id=event.event_id,
                reset_event_id=last_task_completed,
            )
        )
    return points


async def reset(
    client: Client,
    namespace: str,
    workflow_id: str,
    run_id: str,
    event_id: int,
    seq: int,
    what: str = "transition",
) -> str:
    """Reset the run to the workflow task ``event_id``; returns the new run's id. Neither
    signals nor updates after the point are re-applied (the acts after it are undone). The
    reason Temporal keeps is neutral: it is stored unencrypted in the history."""
    response = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
            reason=f"toshin admin reset to {what} {seq}",
            workflow_task_finish_event_id=event_id,
            request_id=uuid.uuid4().hex,
            reset_reapply_type=ResetReapplyType.RESET_REAPPLY_TYPE_NONE,
            reset_reapply_exclude_types=[
                ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL,
                ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE,
            ],
        )
    )
    return response.run_id


@dataclass
class TaskFailure:
    cause: str
    error: str
    failed_at_seconds: float | None


async def task_failure(
    client: Client, description: WorkflowExecutionDescription
) -> TaskFailure | None:
    """Why the workflow's task keeps failing: the last WorkflowTaskFailed event of the run,
    its failure decoded; None when the pending task is on its first attempt."""
    pending = description.raw_description.pending_workflow_task
    if not description.raw_description.HasField("pending_workflow_task") or pending.attempt < 2:
        return None
    handle = client.get_workflow_handle(description.id, run_id=description.run_id)
    last: HistoryEvent | None = None
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            last = event
    if last is None:  # failures on a retried task are not written again: timed out instead
        return TaskFailure(cause="WORKFLOW_TASK_TIMED_OUT", error="", failed_at_seconds=None)
    attrs = last.workflow_task_failed_event_attributes
    error = await client.data_converter.decode_failure(attrs.failure)
    cause = Cause.Name(attrs.cause).removeprefix("WORKFLOW_TASK_FAILED_CAUSE_")
    message = str(error)
    inner = error.__cause__
    if inner is not None and str(inner) and str(inner) not in message:
        message = f"{message}: {inner}"
    return TaskFailure(
        cause=cause,
        error=without_values(message)[:1000],
        failed_at_seconds=last.event_time.ToSeconds(),
    )


_INPUT_VALUE = re.compile(r"input_value=.*?, (?=input_type=)")
_MORE_AT = re.compile(r"\s*For further information visit \S+")


def without_values(message: str) -> str:
    """A decoding error without the values it quotes (the input may hold personal data)."""
    return _MORE_AT.sub("", _INPUT_VALUE.sub("", message))
