"""The domain error hierarchy, shared by the workflow, the activities, the CLI and the tests.

::

    CaseError
    ├── InvalidPayload        a field is missing, unknown or of the wrong value
    ├── InvalidTransition     the trigger is not allowed from the case's current state
    ├── RoleNotAllowed        the acting role may not fire this trigger
    │   ├── EngineOnly        only the engine fires this trigger (never a caller from outside)
    │   └── OtherDepartment   a department's user acting on another department's case
    ├── GuardFailed           the trigger is allowed, but a business rule says no
    ├── CaseNotFound          no case has this id
    ├── DuplicateCase         a case with this external reference already exists
    ├── NoParkedStep          an admin action on a case that has no parked step
    ├── UnknownCondition      the answer has no condition with this number
    ├── ConditionClosed       the condition is already verified or waived (or not awaiting this)
    ├── UnknownObligation     the case has no obligation with this id
    ├── UnknownDepartment     the municipality's directory has no such department
    ├── MailError             a reminder mail could not be delivered
    │   ├── MailUnavailable   the mail server is unreachable or said "try later" (4xx): retried
    │   ├── MailRejected      the mail server refused it for good (5xx): not retried
    │   └── MailOutcomeUnknown the end of the data went out and no answer came: maybe delivered
    ├── TemplateError         a document template is broken: names the template and the field
    ├── AccountError          a desk account cannot be used or changed
    │   ├── LoginRefused      wrong name or password, or a disabled account (one message)
    │   ├── AccountLocked     too many failed logins: locked for a while
    │   └── UnknownUser       no account has this name (admin commands only)
    ├── FileNotFound          no stored document or evidence file with this id for this case
    ├── FileTampered          a stored file no longer matches the SHA-256 recorded for it
    └── UploadRefused         an uploaded file is too large or of a type that is not allowed

Every class has an ``ErrorType`` value equal to its class name; that string travels as
``ApplicationError.type`` through Temporal and is turned back into the class at the edges
(see ``models.errors.from_type``).
"""

from __future__ import annotations

from enum import StrEnum


class ErrorType(StrEnum):
    CaseError = "CaseError"
    InvalidPayload = "InvalidPayload"
    InvalidTransition = "InvalidTransition"
    RoleNotAllowed = "RoleNotAllowed"
    EngineOnly = "EngineOnly"
    OtherDepartment = "OtherDepartment"
    GuardFailed = "GuardFailed"
    CaseNotFound = "CaseNotFound"
    DuplicateCase = "DuplicateCase"
    NoParkedStep = "NoParkedStep"
    UnknownCondition = "UnknownCondition"
    ConditionClosed = "ConditionClosed"
    UnknownObligation = "UnknownObligation"
    UnknownDepartment = "UnknownDepartment"
    MailError = "MailError"
    MailUnavailable = "MailUnavailable"
    MailRejected = "MailRejected"
    MailOutcomeUnknown = "MailOutcomeUnknown"
    TemplateError = "TemplateError"
    AccountError = "AccountError"
    LoginRefused = "LoginRefused"
    AccountLocked = "AccountLocked"
    UnknownUser = "UnknownUser"
    FileNotFound = "FileNotFound"
    FileTampered = "FileTampered"
    UploadRefused = "UploadRefused"


class CaseError(Exception):
    """Base class: a request about a case that cannot be carried out."""

    error_type: ErrorType = ErrorType.CaseError

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidPayload(CaseError):
    error_type = ErrorType.InvalidPayload


class InvalidTransition(CaseError):
    error_type = ErrorType.InvalidTransition


class RoleNotAllowed(CaseError):
    error_type = ErrorType.RoleNotAllowed


class EngineOnly(RoleNotAllowed):
    """A trigger only the engine fires (``models.case.lifecycle.is_engine_only``), asked for by
    someone else."""

    error_type = ErrorType.EngineOnly


class OtherDepartment(RoleNotAllowed):
    """A department member or head acting on a case another department filed."""

    error_type = ErrorType.OtherDepartment


class GuardFailed(CaseError):
    error_type = ErrorType.GuardFailed


class CaseNotFound(CaseError):
    error_type = ErrorType.CaseNotFound


class DuplicateCase(CaseError):
    error_type = ErrorType.DuplicateCase


class NoParkedStep(CaseError):
    error_type = ErrorType.NoParkedStep


class UnknownCondition(CaseError):
    error_type = ErrorType.UnknownCondition


class ConditionClosed(CaseError):
    error_type = ErrorType.ConditionClosed


class UnknownObligation(CaseError):
    error_type = ErrorType.UnknownObligation


class UnknownDepartment(CaseError):
    error_type = ErrorType.UnknownDepartment


class MailError(CaseError):
    error_type = ErrorType.MailError


class MailUnavailable(MailError):
    error_type = ErrorType.MailUnavailable


class MailRejected(MailError):
    error_type = ErrorType.MailRejected


class MailOutcomeUnknown(MailError):
    error_type = ErrorType.MailOutcomeUnknown


class TemplateError(CaseError):
    """A document template that cannot be rendered (syntax, or a field the data lacks)."""

    error_type = ErrorType.TemplateError

    def __init__(
        self, message: str, *, template: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.template = template
        self.field = field

    @classmethod
    def of(cls, template: str, problem: str, field: str | None = None) -> TemplateError:
        where = f"missing field '{field}'" if field else problem
        return cls(f"template {template}: {where}", template=template, field=field)


class AccountError(CaseError):
    error_type = ErrorType.AccountError


class LoginRefused(AccountError):
    error_type = ErrorType.LoginRefused


class AccountLocked(AccountError):
    error_type = ErrorType.AccountLocked


class UnknownUser(AccountError):
    error_type = ErrorType.UnknownUser


class FileNotFound(CaseError):
    error_type = ErrorType.FileNotFound


class FileTampered(CaseError):
    """A stored document or evidence file whose bytes no longer hash to the recorded SHA-256:
    it is refused, never served."""

    error_type = ErrorType.FileTampered


class UploadRefused(CaseError):
    """``problem`` says why, for people: ``empty``, ``too_large``, ``type`` (a file type that
    is not allowed) or ``content`` (the bytes are not what the file's name says)."""

    error_type = ErrorType.UploadRefused

    def __init__(self, message: str, *, problem: str = "type") -> None:
        super().__init__(message)
        self.problem = problem


_BY_TYPE: dict[str, type[CaseError]] = {
    cls.error_type.value: cls
    for cls in (
        CaseError,
        InvalidPayload,
        InvalidTransition,
        RoleNotAllowed,
        EngineOnly,
        OtherDepartment,
        GuardFailed,
        CaseNotFound,
        DuplicateCase,
        NoParkedStep,
        UnknownCondition,
        ConditionClosed,
        UnknownObligation,
        UnknownDepartment,
        MailError,
        MailUnavailable,
        MailRejected,
        MailOutcomeUnknown,
        TemplateError,
        AccountError,
        LoginRefused,
        AccountLocked,
        UnknownUser,
        FileNotFound,
        FileTampered,
        UploadRefused,
    )
}


def from_type(error_type: str | None, message: str) -> CaseError:
    """Rebuild the domain error named by an ``ApplicationError.type``."""
    return _BY_TYPE.get(error_type or "", CaseError)(message)


def describe_validation_error(exc: Exception, prefix: str = "") -> str:
    """One line naming every bad field and why, from a pydantic ``ValidationError``."""
    errors = getattr(exc, "errors", None)
    if errors is None:
        return str(exc)
    parts = []
    for err in errors():
        head = prefix.split(".") if prefix else []
        where = ".".join(str(part) for part in (*head, *err["loc"]))
        parts.append(f"{where or '(root)'}: {err['msg']}")
    return "; ".join(parts)
