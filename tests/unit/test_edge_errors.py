"""The edge's one translator: every shape of Temporal failure a caller meets comes back as the
domain error it carries; transient failures are not mistaken for refusals."""

from __future__ import annotations

import pytest
from temporalio.client import (
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    RetryState,
    WorkflowAlreadyStartedError,
)
from temporalio.service import RPCError, RPCStatusCode

from edge.errors import domain_error, is_not_found, refusal, translated, unreachable
from models.errors import (
    CaseError,
    CaseNotFound,
    DuplicateCase,
    EngineOnly,
    ErrorType,
    GuardFailed,
    InvalidTransition,
    RoleNotAllowed,
    TemplateError,
)

WHAT = "case 3f9a0c1d2e4b"


def rpc(status: RPCStatusCode, message: str = "rpc says no") -> RPCError:
    return RPCError(message, status, b"")


def activity_failure(cause: BaseException) -> ActivityError:
    err = ActivityError(
        "activity failed",
        scheduled_event_id=5,
        started_event_id=6,
        identity="worker",
        activity_type="generate_document",
        activity_id="1",
        retry_state=RetryState.NON_RETRYABLE_FAILURE,
    )
    err.__cause__ = cause
    return err


def rejected(error_type: str, message: str = "refused: because") -> ApplicationError:
    return ApplicationError(message, type=error_type, non_retryable=True)


@pytest.mark.parametrize("error_type", [t.value for t in ErrorType])
def test_a_rejected_update_comes_back_as_the_class_its_type_names(error_type: str) -> None:
    err = domain_error(WorkflowUpdateFailedError(rejected(error_type)), WHAT)
    assert type(err).__name__ == error_type
    assert err.error_type.value == error_type
    assert err.message == "refused: because"


def test_engine_only_is_a_role_not_allowed() -> None:
    err = domain_error(WorkflowUpdateFailedError(rejected("EngineOnly")), WHAT)
    assert isinstance(err, EngineOnly) and isinstance(err, RoleNotAllowed)


def test_a_failed_workflow_is_unwrapped_down_to_the_activity_s_application_error() -> None:
    cause = activity_failure(rejected("TemplateError", "template toshin.docx: missing field"))
    err = domain_error(WorkflowFailureError(cause=cause), "document toshin")
    assert isinstance(err, TemplateError)
    assert err.message == "template toshin.docx: missing field"


def test_a_bare_application_error_is_translated() -> None:
    assert isinstance(domain_error(rejected("GuardFailed"), WHAT), GuardFailed)


def test_an_unknown_error_type_is_a_plain_case_error() -> None:
    err = domain_error(WorkflowUpdateFailedError(rejected("SomethingNew", "odd")), WHAT)
    assert type(err) is CaseError and err.message == "odd"


@pytest.mark.parametrize(
    ("failure", "expected", "message"),
    [
        (rpc(RPCStatusCode.NOT_FOUND), CaseNotFound, f"{WHAT}: not found"),
        (rpc(RPCStatusCode.ALREADY_EXISTS), DuplicateCase, f"{WHAT} already exists"),
        (
            WorkflowAlreadyStartedError("case-x", "CaseWorkflow"),
            DuplicateCase,
            f"{WHAT} already exists",
        ),
        (
            rpc(RPCStatusCode.FAILED_PRECONDITION, "workflow completed"),
            InvalidTransition,
            f"{WHAT}: workflow completed",
        ),
    ],
)
def test_server_answers_are_refusals_with_their_domain_error(
    failure: BaseException, expected: type[CaseError], message: str
) -> None:
    found = refusal(failure, WHAT)
    assert type(found) is expected
    assert found is not None and found.message == message
    assert type(domain_error(failure, WHAT)) is expected


@pytest.mark.parametrize(
    "failure",
    [
        rpc(RPCStatusCode.UNAVAILABLE, "connection refused"),
        rpc(RPCStatusCode.DEADLINE_EXCEEDED, "Timeout expired"),
        WorkflowQueryFailedError("query handler crashed"),
        WorkflowUpdateRPCTimeoutOrCancelledError(),
        WorkflowUpdateFailedError(RuntimeError("not an application error")),
        rpc(
            RPCStatusCode.FAILED_PRECONDITION,
            "Unable to perform workflow execution update due to Workflow Task in failed state.",
        ),
    ],
)
def test_transient_failures_are_not_refusals_but_still_one_case_error_line(
    failure: BaseException,
) -> None:
    assert refusal(failure, WHAT) is None
    err = domain_error(failure, WHAT)
    assert type(err) is CaseError
    assert err.message.startswith(f"{WHAT}: ")


def test_a_domain_error_passes_through_unchanged() -> None:
    original = GuardFailed("no")
    assert domain_error(original, WHAT) is original


def test_is_not_found_only_for_not_found() -> None:
    assert is_not_found(rpc(RPCStatusCode.NOT_FOUND))
    assert not is_not_found(rpc(RPCStatusCode.UNAVAILABLE))
    assert not is_not_found(WorkflowUpdateFailedError(rejected("CaseNotFound")))


def test_translated_turns_temporal_failures_into_domain_errors_and_leaves_others() -> None:
    with pytest.raises(GuardFailed, match="refused: because"), translated(WHAT):
        raise WorkflowUpdateFailedError(rejected("GuardFailed"))
    with pytest.raises(CaseNotFound, match=f"{WHAT}: not found"), translated(WHAT):
        raise rpc(RPCStatusCode.NOT_FOUND)
    with pytest.raises(KeyError), translated(WHAT):
        raise KeyError("a bug stays a bug")
    original = InvalidTransition("already a domain error")
    with pytest.raises(InvalidTransition) as caught, translated(WHAT):
        raise original
    assert caught.value is original


def test_an_unreachable_server_is_one_case_error_line_naming_the_address() -> None:
    err = unreachable("127.0.0.1:7233", RuntimeError("connection refused"))
    assert type(err) is CaseError
    assert "127.0.0.1:7233" in err.message and "./toshin up" in err.message
