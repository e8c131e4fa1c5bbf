"""THE translator: a Temporal failure back into the domain error it carries (``models.errors``).

Everything outside the worker reaches the engine through ``edge/``, and every failure Temporal
hands back is turned into a ``CaseError`` here, once. The shapes it knows::

    WorkflowUpdateFailedError ─ cause ApplicationError(type=T) ─┐
    WorkflowFailureError ─ ActivityError … ─ ApplicationError ──┼─→ the class named T
    ApplicationError(type=T) ───────────────────────────────────┘   (models.errors.from_type)
    RPCError NOT_FOUND ──────────────────────────────────────────→ CaseNotFound
    RPCError ALREADY_EXISTS, WorkflowAlreadyStartedError ────────→ DuplicateCase
    RPCError FAILED_PRECONDITION ────────────────────────────────→ InvalidTransition
    anything else (unavailable, timeout, query failure, …) ──────→ CaseError "what: …"

``refusal`` answers only the engine's refusals (the first five rows) and ``None`` for the
rest: activities that talk to other workflows treat a refusal as an answer and let anything
else fail the attempt, so it is retried. ``domain_error`` always answers: callers that end in
front of a person (CLI, web) print it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import (
    ApplicationError,
    FailureError,
    TemporalError,
    WorkflowAlreadyStartedError,
)
from temporalio.service import RPCError, RPCStatusCode

from models.errors import (
    CaseError,
    CaseNotFound,
    DuplicateCase,
    InvalidTransition,
    from_type,
)

__all__ = [
    "domain_error",
    "invalid_argument",
    "is_not_found",
    "refusal",
    "translated",
    "unreachable",
]


def _application_error(err: BaseException) -> ApplicationError | None:
    """The ApplicationError at the root of a failure chain (update, workflow, activity)."""
    seen: BaseException | None = err
    for _ in range(16):
        if isinstance(seen, ApplicationError):
            return seen
        if isinstance(seen, WorkflowUpdateFailedError | WorkflowFailureError | FailureError):
            seen = seen.cause
        else:
            return None
    return None


# The server refuses an update while the workflow's last workflow task failed (it retries the
# task): transient, not the case's answer. Found by the fault drill (bench/drill.py) under load.
_TASK_FAILING = "workflow task in failed state"


def _task_failing(err: RPCError) -> bool:
    return _TASK_FAILING in err.message.lower()


def refusal(err: BaseException, what: str) -> CaseError | None:
    """The domain error when the engine refused ``what`` (e.g. "case 3f9a…"); None when the
    failure is not a refusal (unreachable, timed out, …) and may pass on a retry."""
    if isinstance(err, WorkflowAlreadyStartedError):
        return DuplicateCase(f"{what} already exists")
    if isinstance(err, RPCError):
        if err.status is RPCStatusCode.NOT_FOUND:
            return CaseNotFound(f"{what}: not found")
        if err.status is RPCStatusCode.ALREADY_EXISTS:
            return DuplicateCase(f"{what} already exists")
        if err.status is RPCStatusCode.FAILED_PRECONDITION and not _task_failing(err):
            return InvalidTransition(f"{what}: {err.message}")
        return None
    if isinstance(err, WorkflowUpdateFailedError | WorkflowFailureError | ApplicationError):
        app = _application_error(err)
        if app is not None:
            return from_type(app.type, app.message)
    return None


def domain_error(err: BaseException, what: str) -> CaseError:
    """Always a domain error: the refusal it carries, or a CaseError naming ``what``."""
    if isinstance(err, CaseError):
        return err
    found = refusal(err, what)
    if found is not None:
        return found
    if isinstance(err, WorkflowUpdateFailedError | WorkflowFailureError):
        return CaseError(f"{what}: {err.cause}")
    return CaseError(f"{what}: {err}")


def is_not_found(err: BaseException) -> bool:
    """True when the server says the workflow (or namespace) does not exist."""
    return isinstance(err, RPCError) and err.status is RPCStatusCode.NOT_FOUND


def invalid_argument(err: BaseException) -> bool:
    """True when the server refuses the request itself (e.g. a malformed workflow id)."""
    return isinstance(err, RPCError) and err.status is RPCStatusCode.INVALID_ARGUMENT


def unreachable(address: str, err: BaseException) -> CaseError:
    """The server cannot be reached at all (the client could not connect)."""
    return CaseError(f"cannot reach Temporal at {address} ({err}); is `./toshin up` running?")


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Run a call to the engine; any Temporal failure leaves as its domain error."""
    try:
        yield
    except CaseError:
        raise
    except TemporalError as err:
        raise domain_error(err, what) from None
