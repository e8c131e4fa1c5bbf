"""THE HTTP mapping: every domain error (``models.errors``) to one status code and a message
in Japanese that names the field when the error names one ("payload.reason: …" → 理由).

::

    InvalidPayload, GuardFailed, UnknownCondition, UnknownObligation,
    UnknownDepartment, ConditionClosed ───────────────→ 422 (shown next to the field)
    InvalidTransition, DuplicateCase, NoParkedStep ───→ 409
    RoleNotAllowed, EngineOnly, Forbidden, PageForbidden → 403
    CaseNotFound, UnknownUser ────────────────────────→ 404
    LoginRefused ──────────────────────────────────────→ 401   AccountLocked → 423
    anything else (engine unreachable, mail, …) ───────→ 503
"""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import (
    AccountLocked,
    CaseError,
    CaseNotFound,
    ConditionClosed,
    DuplicateCase,
    GuardFailed,
    InvalidPayload,
    InvalidTransition,
    LoginRefused,
    NoParkedStep,
    RoleNotAllowed,
    UnknownCondition,
    UnknownDepartment,
    UnknownObligation,
    UnknownUser,
)
from models.labels import FIELD_LABELS


class Forbidden(RoleNotAllowed):
    """The logged-in user may not see or act on this (another department's case)."""


class PageForbidden(RoleNotAllowed):
    """The logged-in user's roles do not open this page (a department user on the
    secretariat's or the council members' pages)."""


class CsrfRefused(CaseError):
    """A form came without the session's CSRF token."""


_STATUS: tuple[tuple[type[CaseError], int, str], ...] = (
    (CsrfRefused, 403, "フォームの有効期限が切れました。ページを開き直してください"),
    (Forbidden, 403, "この案件を見る権限がありません"),
    (PageForbidden, 403, "このページを見る権限がありません"),
    (RoleNotAllowed, 403, "この操作を行う権限がありません"),
    (CaseNotFound, 404, "案件が見つかりません"),
    (UnknownUser, 404, "アカウントが見つかりません"),
    (InvalidPayload, 422, "入力内容に誤りがあります"),
    (GuardFailed, 422, "この操作の条件を満たしていません"),
    (UnknownCondition, 422, "その番号の条件はありません"),
    (UnknownObligation, 422, "その義務IDはありません"),
    (UnknownDepartment, 422, "担当課が登録されていません"),
    (ConditionClosed, 422, "その条件はすでに確認済みか免除されています"),
    (InvalidTransition, 409, "現在の状態ではこの操作はできません"),
    (DuplicateCase, 409, "同じ案件がすでにあります"),
    (NoParkedStep, 409, "停止中の処理はありません"),
    (AccountLocked, 423, "ログインに続けて失敗したため、しばらくログインできません"),
    (LoginRefused, 401, "ユーザー名またはパスワードが正しくありません"),
)


@dataclass(frozen=True)
class HttpError:
    status: int
    message: str  # for people, in Japanese
    field: str | None  # the form field it concerns, when the error names one
    detail: str  # the domain error's own text (for the log and the page's small print)


def field_of(message: str) -> str | None:
    """The field a domain error names: "payload.reason: Field required" → "reason"."""
    head, sep, _ = message.partition(":")
    if not sep or " " in head.strip():
        return None
    return head.strip().split(".")[-1] or None


def http_error(err: CaseError) -> HttpError:
    """The status and the Japanese message for a domain error."""
    status, text = 503, "処理を完了できませんでした。時間をおいてもう一度お試しください"
    for cls, code, message in _STATUS:
        if isinstance(err, cls):
            status, text = code, message
            break
    field = field_of(err.message) if status == 422 else None
    if field:
        text = f"{FIELD_LABELS.get(field, field)}: {text}"
    return HttpError(status=status, message=text, field=field, detail=err.message)
