"""Effects of one case on another: an answered change case supersedes its parent."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from models.case import ActInput, Actor
from models.ids import case_workflow_id
from models.projection import SupersedeInput, SupersedeResult
from models.states import Role, Trigger


class CaseLinkActivities:
    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn(name="supersede_case")
    async def supersede_case(self, inp: SupersedeInput) -> SupersedeResult:
        """Mark the parent case superseded by the change case. Idempotent: the update id is
        derived from the change case, so a retry returns the first answer."""
        handle = self._client.get_workflow_handle(case_workflow_id(inp.parent_case))
        act = ActInput(
            trigger=Trigger.supersede.value,
            actor=Actor(role=Role.engine, name="toshin"),
            payload={"change_case": inp.change_case},
            on=inp.on,
        )
        try:
            await handle.execute_update(
                "act", act, id=f"supersede-by-{inp.change_case}", result_type=dict
            )
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            message = cause.message if isinstance(cause, ApplicationError) else str(cause)
            return SupersedeResult(superseded=False, reason=message)
        except RPCError as err:
            if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                return SupersedeResult(
                    superseded=False, reason=f"parent case {inp.parent_case}: {err.message}"
                )
            raise
        return SupersedeResult(superseded=True)
