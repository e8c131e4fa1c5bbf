"""Effects of one workflow on another: an answered change case supersedes its parent, a
session acts on its cases. What the other workflow answers is read by the edge's translator
(``edge.errors.refusal``): a refusal is an answer, anything else fails the attempt."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError, TemporalError

from edge.errors import invalid_argument, is_not_found, refusal
from models.case.payloads import Outcome
from models.case.record import ActResult, CaseSnapshot, ChangeCaseInfo
from models.ids import case_workflow_id, council_workflow_id, session_workflow_id
from models.projection import (
    CarryRequest,
    CaseActOutcome,
    CaseActRequest,
    NumberRequest,
    SessionInfo,
    SupersedeInput,
    SupersedeResult,
)
from models.session.record import CaseInfo, SessionSnapshot


class CaseLinkActivities:
    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn(name="supersede_case")
    async def supersede_case(self, inp: SupersedeInput) -> SupersedeResult:
        """Ask the parent case to end as superseded by the change case (its update
        ``supersede_by_change`` checks the change case itself). Idempotent: the update id is
        derived from the change case, so a retry returns the first answer."""
        handle = self._client.get_workflow_handle(case_workflow_id(inp.parent_case))
        try:
            await handle.execute_update(
                "supersede_by_change",
                inp,
                id=f"supersede-by-{inp.change_case}",
                result_type=ActResult,
            )
        except TemporalError as err:
            refused = refusal(err, f"parent case {inp.parent_case}")
            if refused is None:
                raise
            return SupersedeResult(superseded=False, reason=refused.message)
        return SupersedeResult(superseded=True)

    @activity.defn(name="describe_change_case")
    async def describe_change_case(self, change_case: str) -> ChangeCaseInfo:
        """A change case as its parent must see it before it is superseded: whether it exists,
        is answered with an approval, and which case it changes. Reads only."""
        handle = self._client.get_workflow_handle(case_workflow_id(change_case))
        try:
            snap = await handle.query("snapshot", result_type=CaseSnapshot)
        except TemporalError as err:
            if is_not_found(err) or invalid_argument(err):
                return ChangeCaseInfo(case_id=change_case, found=False)
            raise
        approved = snap.decision is not None and snap.decision.outcome is not Outcome.reject
        return ChangeCaseInfo(
            case_id=change_case,
            found=True,
            state=snap.state,
            answered=snap.answer is not None and approved,
            parent_case=snap.document.parent_case,
        )


class SessionLinkActivities:
    """A session's effects on cases, on other sessions and on its council."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn(name="act_on_case")
    async def act_on_case(self, req: CaseActRequest) -> CaseActOutcome:
        """Fire a trigger on a case for the session. Idempotent: the request id is the
        update id, so a retry gets the first answer. A refusal is an answer, not a failure."""
        handle = self._client.get_workflow_handle(case_workflow_id(req.case_id))
        try:
            result = await handle.execute_update(
                "act", req.act, id=req.request_id, result_type=ActResult
            )
        except TemporalError as err:
            refused = refusal(err, f"case {req.case_id}")
            if refused is None:
                raise
            return CaseActOutcome(
                accepted=False, error_type=refused.error_type.value, message=refused.message
            )
        return CaseActOutcome(
            accepted=result.parked is None,
            state=result.state,
            title=result.title,
            category=result.category,
            error_type=None if result.parked is None else "Parked",
            message=None if result.parked is None else f"case step parked: {result.parked.error}",
            warnings=[w.message for w in result.warnings],
        )

    @activity.defn(name="carry_into_session")
    async def carry_into_session(self, req: CarryRequest) -> None:
        """Put a continued case on the next session's agenda. Idempotent (by case id)."""
        handle = self._client.get_workflow_handle(session_workflow_id(req.session_id))
        try:
            await handle.execute_update(
                "receive_item", req.item, id=f"carry-{req.item.case_id}-{req.item.from_session}"
            )
        except TemporalError as err:
            refused = refusal(err, f"session {req.session_id}")
            if refused is None:
                raise
            what = f"session {req.session_id}"
            raise ApplicationError(
                refused.message
                if refused.message.startswith(what)
                else f"{what}: {refused.message}",
                type=refused.error_type.value,
                non_retryable=True,
            ) from None

    @activity.defn(name="describe_session")
    async def describe_session(self, session_id: str) -> SessionInfo:
        """Whether a session exists, its council and state. Reads only."""
        handle = self._client.get_workflow_handle(session_workflow_id(session_id))
        try:
            snap = await handle.query("snapshot", result_type=SessionSnapshot)
        except TemporalError as err:
            if not is_not_found(err):
                raise
            return SessionInfo(session_id=session_id, found=False)
        return SessionInfo(
            session_id=session_id,
            found=True,
            council_id=snap.plan.council_id,
            state=snap.state.value,
            case_ids=[item.case_id for item in snap.items],
        )

    @activity.defn(name="take_answer_number")
    async def take_answer_number(self, req: NumberRequest) -> str:
        """The council's next answer number (第N号). Idempotent: one number per case."""
        handle = self._client.get_workflow_handle(council_workflow_id(req.council_id))
        number: str = await handle.execute_update(
            "take_number", req, id=f"number-{req.case_id}", result_type=str
        )
        return number

    @activity.defn(name="describe_case")
    async def describe_case(self, case_id: str) -> CaseInfo:
        """A case's state, parked step and answer number, for a session completing an item
        after a parked case step. Reads only."""
        handle = self._client.get_workflow_handle(case_workflow_id(case_id))
        try:
            snap = await handle.query("snapshot", result_type=CaseSnapshot)
        except TemporalError as err:
            if is_not_found(err):
                return CaseInfo(case_id=case_id, found=False)
            raise
        parked = snap.parked
        return CaseInfo(
            case_id=case_id,
            found=True,
            state=snap.state.value,
            parked=None if parked is None else f"step {parked.step} ({parked.error})"[:500],
            answer_number=snap.answer.number if snap.answer else None,
        )
