"""The steps a SessionWorkflow runs outside itself: case triggers on its items, the next
session and the council (carry-over, answer numbers), documents, reminders. Workflow code
(deterministic): every effect is an activity."""

from __future__ import annotations

import datetime as dt
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import models.session.record as s
    from activities.agenda import AgendaActivities
    from activities.documents import DocumentActivities
    from activities.links import SessionLinkActivities
    from activities.projection import ProjectionActivities
    from activities.reminders import ReminderActivities
    from models.case.payloads import SessionRef
    from models.case.record import ActInput
    from models.case.states import Trigger
    from models.documents.spec import DocType, GenerateDocumentInput, SessionSource
    from models.errors import CaseError, GuardFailed, InvalidPayload
    from models.projection import (
        CarryRequest,
        CaseActOutcome,
        CaseActRequest,
        NumberRequest,
        ReminderInput,
        SessionProjectionInput,
        SessionResetInput,
    )
    from models.session.checks import CheckedAct, warn
    from models.session.lifecycle import case_role

TIMEOUT = dt.timedelta(seconds=30)
RETRY = RetryPolicy(
    initial_interval=dt.timedelta(seconds=1), maximum_interval=dt.timedelta(seconds=30)
)
DOCUMENT_TIMEOUT = dt.timedelta(seconds=120)
DOCUMENT_RETRY = RetryPolicy(
    initial_interval=dt.timedelta(seconds=1),
    maximum_interval=dt.timedelta(seconds=10),
    maximum_attempts=3,
)
PROJECTION_TIMEOUT = dt.timedelta(seconds=30)
PROJECTION_RETRY = RetryPolicy(  # the read model may be down for a while: keep trying
    initial_interval=dt.timedelta(seconds=1), maximum_interval=dt.timedelta(seconds=60)
)
PARKED = "Parked"  # CaseActOutcome.error_type: the case accepted, then a step of it parked
# Patch (workflow.patched): never remove it while histories that predate it may replay.
PARKED_CASE_STEPS = "session-records-parked-case-steps"


def rejected(err: CaseError) -> ApplicationError:
    return ApplicationError(err.message, type=err.error_type.value, non_retryable=True)


def is_parked(outcome: CaseActOutcome) -> bool:
    return not outcome.accepted and outcome.error_type == PARKED


def require(outcome: CaseActOutcome) -> None:
    """Fail the act when its case refused the trigger."""
    if not outcome.accepted:
        raise ApplicationError(
            outcome.message or "the case refused", type=outcome.error_type, non_retryable=True
        )


def parked_marker(case_id: str, trigger: Trigger, outcome: CaseActOutcome) -> s.CaseStepParked:
    return s.CaseStepParked(
        case_id=case_id,
        trigger=trigger.value,
        error=(outcome.message or "a case step parked")[:500],
        since=workflow.now(),
    )


def parked(outcome: CaseActOutcome) -> bool:
    """The case accepted the trigger, then parked a step: recorded, not refused (runs since
    the patch; earlier runs treated it as a refusal)."""
    return is_parked(outcome) and workflow.patched(PARKED_CASE_STEPS)


async def fire(
    record: s.SessionRecord,
    checked: CheckedAct,
    case_id: str,
    payload: dict[str, Any],
    inp: s.SessionAct,
) -> CaseActOutcome | None:
    """Fire the row's case trigger on one case; the outcome (a refusal is an answer)."""
    trigger = checked.rule.case_trigger
    if trigger is None:
        return None
    return await act_on_case(record, case_id, trigger, payload, inp, checked.on)


async def fire_item(
    record: s.SessionRecord,
    checked: CheckedAct,
    case_id: str,
    payload: dict[str, Any],
    inp: s.SessionAct,
) -> s.CaseStepParked | None:
    """Fire the row's case trigger on the item's case: a refusal fails the act; a case step
    that parked after the case accepted is returned, to be recorded on the item."""
    outcome = await fire(record, checked, case_id, payload, inp)
    if outcome is None or outcome.accepted:
        return None
    if parked(outcome):
        trigger = checked.rule.case_trigger
        assert trigger is not None
        marker = parked_marker(case_id, trigger, outcome)
        warn(record, "case_step_parked", f"{case_id}: {trigger}: {marker.error}")
        return marker
    require(outcome)
    return None


async def act_on_case(
    record: s.SessionRecord,
    case_id: str,
    trigger: Trigger,
    payload: dict[str, Any],
    inp: s.SessionAct,
    on: dt.date | None,
) -> CaseActOutcome:
    """Fire ``trigger`` on the case as the role the case table gives it (the name is the
    person's); ``on`` is the act's date when the session runs on its own clock."""
    act = ActInput.model_validate(
        {
            "trigger": trigger.value,
            "actor": {  # the session checked the person; it vouches for the case's role
                "role": case_role(trigger).value,
                "name": inp.actor.name,
                "username": inp.actor.username,
                "holds": [case_role(trigger).value],
            },
            "payload": payload,
            "on": on if record.clock is not None else inp.on,
        }
    )
    session_id = record.plan.session_id
    return await workflow.execute_activity_method(
        SessionLinkActivities.act_on_case,
        CaseActRequest(
            case_id=case_id,
            act=act,
            request_id=f"{session_id}-{trigger.value}-{case_id}-{workflow.uuid4().hex[:8]}",
        ),
        start_to_close_timeout=TIMEOUT,
        retry_policy=RETRY,
    )


async def check_next_session(record: s.SessionRecord, ref: SessionRef) -> None:
    """Before a case moves on: the next session exists, is this council's, takes items."""
    info = await workflow.execute_activity_method(
        SessionLinkActivities.describe_session,
        ref.session_id,
        start_to_close_timeout=TIMEOUT,
        retry_policy=RETRY,
    )
    problem: CaseError | None = None
    if not info.found:
        problem = InvalidPayload(f"next_session: session {ref.session_id} does not exist")
    elif info.council_id != record.council.council_id:
        problem = InvalidPayload(f"next_session: {ref.session_id} is another council's")
    elif info.state not in (s.SessionState.planned, s.SessionState.notice_sent):
        problem = GuardFailed(f"next_session: {ref.session_id} is {info.state}")
    if problem is not None:
        raise rejected(problem)


async def check_carry_in(record: s.SessionRecord, inp: s.CarryIn) -> None:
    """``receive_item`` has no actor: it is believed only when it proves it comes from a
    session of this council that has the case on its agenda (read from that session)."""
    source = inp.from_session
    problem: CaseError | None = None
    if source == record.plan.session_id:
        problem = InvalidPayload(f"from_session: {source} is this session")
    else:
        info = await workflow.execute_activity_method(
            SessionLinkActivities.describe_session,
            source,
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )
        if not info.found:
            problem = InvalidPayload(f"from_session: session {source} does not exist")
        elif info.council_id != record.council.council_id:
            problem = InvalidPayload(f"from_session: {source} is another council's")
        elif inp.case_id not in info.case_ids:
            problem = InvalidPayload(f"from_session: {source} has no case {inp.case_id}")
    if problem is not None:
        raise rejected(problem)


async def carry(record: s.SessionRecord, item: s.AgendaItem, ref: SessionRef) -> None:
    """Put the item on the next session's agenda (its ``receive_item``)."""
    await workflow.execute_activity_method(
        SessionLinkActivities.carry_into_session,
        CarryRequest(
            session_id=ref.session_id,
            item=s.CarryIn(
                case_id=item.case_id,
                title=item.title,
                category=item.category,
                from_session=record.plan.session_id,
            ),
        ),
        start_to_close_timeout=TIMEOUT,
        retry_policy=RETRY,
    )


async def ready_cases() -> list[str]:
    ready: list[str] = await workflow.execute_activity_method(
        AgendaActivities.ready_cases, start_to_close_timeout=TIMEOUT, retry_policy=RETRY
    )
    return ready


async def take_answer_number(record: s.SessionRecord, case_id: str) -> str:
    """The council's number for this case's answer (the same number every time)."""
    number: str = await workflow.execute_activity_method(
        SessionLinkActivities.take_answer_number,
        NumberRequest(
            council_id=record.council.council_id,
            case_id=case_id,
            fiscal_year=record.plan.fiscal_year,
        ),
        start_to_close_timeout=TIMEOUT,
        retry_policy=RETRY,
    )
    return number


async def confirm_answered(item: s.AgendaItem) -> None:
    """Before completing an item whose case step parked: the case has since run the step
    (an admin retried or skipped it) and holds the answer with the session's number."""
    info = await workflow.execute_activity_method(
        SessionLinkActivities.describe_case,
        item.case_id,
        start_to_close_timeout=TIMEOUT,
        retry_policy=RETRY,
    )
    number = item.answer.number if item.answer else None
    problem: CaseError | None = None
    if not info.found:
        problem = InvalidPayload(f"case_id: case {item.case_id} does not exist")
    elif info.parked is not None:
        problem = GuardFailed(
            f"case {item.case_id}: {info.parked} is still parked; an admin retries it on the "
            "case first (admin retry), then the answer is completed here"
        )
    elif info.answer_number != number:
        problem = GuardFailed(
            f"case {item.case_id} holds answer {info.answer_number}, not {number}"
        )
    if problem is not None:
        raise rejected(problem)


async def remind(record: s.SessionRecord, what: str, due: dt.date) -> None:
    await workflow.execute_activity_method(
        ReminderActivities.remind_secretariat,
        ReminderInput(session_id=record.plan.session_id, what=what, due=due),
        start_to_close_timeout=TIMEOUT,
        retry_policy=RETRY,
    )


async def generate(record: s.SessionRecord, doc_types: list[DocType]) -> None:
    """Generate session documents (DOCX and PDF); a failure is recorded on the session
    (snapshot `document_failures`, a warning) for the secretariat to retry."""
    source = SessionSource(record=record.model_copy(deep=True))
    for doc_type in doc_types:
        try:
            await workflow.execute_activity_method(
                DocumentActivities.generate_document,
                GenerateDocumentInput(doc_type=doc_type, session=source),
                start_to_close_timeout=DOCUMENT_TIMEOUT,
                retry_policy=DOCUMENT_RETRY,
            )
        except ActivityError as err:
            cause = err.cause or err
            message = getattr(cause, "message", None) or str(cause)
            record.document_failures.append(
                s.DocumentFailure(doc_type=doc_type.value, error=message, at=workflow.now())
            )
            warn(record, "document_failed", f"{doc_type.value}: {message}"[:500])


async def repair_after_reset(record: s.SessionRecord, mark: s.SessionReset) -> int:
    """The session's rows rewritten and the reset audited, after it met a reset."""
    return await workflow.execute_activity_method(
        ProjectionActivities.repair_session_after_reset,
        SessionResetInput(record=record.model_copy(deep=True), mark=mark),
        start_to_close_timeout=PROJECTION_TIMEOUT,
        retry_policy=PROJECTION_RETRY,
    )


async def project(record: s.SessionRecord) -> None:
    """Write the session's rows in the read model as of its current version (idempotent:
    the projection keeps the highest version)."""
    await workflow.execute_activity_method(
        ProjectionActivities.project_session,
        SessionProjectionInput(record=record.model_copy(deep=True), version=record.version),
        start_to_close_timeout=PROJECTION_TIMEOUT,
        retry_policy=PROJECTION_RETRY,
    )
