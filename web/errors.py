"""THE HTTP mapping: every domain error (``models.errors``) to one status code and a message
in Japanese that names the field when the error names one ("payload.reason: …" → 理由).

::

    InvalidPayload, GuardFailed, UnknownCondition, UnknownObligation,
    UnknownDepartment, ConditionClosed ───────────────→ 422 (shown next to the field)
    UploadRefused ─────────────── 422, 413 (too large) or 415 (type): shown next to the file
    InvalidTransition, DuplicateCase, NoParkedStep,
    FileTampered ─────────────────────────────────────→ 409
    RoleNotAllowed, EngineOnly, Forbidden, PageForbidden → 403
    CaseNotFound, UnknownUser, FileNotFound ──────────→ 404
    LoginRefused ──────────────────────────────────────→ 401   AccountLocked → 423
    anything else (engine unreachable, mail, …) ───────→ 503
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.evidence import ALLOWED_LABELS, MAX_BYTES
from models.errors import (
    AccountLocked,
    CaseError,
    CaseNotFound,
    ConditionClosed,
    DuplicateCase,
    FileNotFound,
    FileTampered,
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
    UploadRefused,
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
    (FileNotFound, 404, "ファイルが見つかりません"),
    (
        FileTampered,
        409,
        "保存されているファイルが作成時の内容と一致しないため、お渡しできません。"
        "事務局に連絡してください",
    ),
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


UPLOAD_PROBLEMS: dict[str, tuple[int, str]] = {
    "empty": (422, "ファイルを選んでください"),
    "too_large": (413, f"ファイルが大きすぎます(上限 {MAX_BYTES // (1024 * 1024)} MB)"),
    "type": (415, f"この種類のファイルは添付できません(添付できるもの: {ALLOWED_LABELS})"),
    "content": (415, "ファイルの中身がファイル名の拡張子と合っていません"),
}


def http_error(err: CaseError) -> HttpError:
    """The status and the Japanese message for a domain error."""
    if isinstance(err, UploadRefused):
        status, text = UPLOAD_PROBLEMS.get(err.problem, UPLOAD_PROBLEMS["type"])
        return HttpError(status=status, message=text, field="file", detail=err.message)
    status, text = 503, "処理を完了できませんでした。時間をおいてもう一度お試しください"
    for cls, code, message in _STATUS:
        if isinstance(err, cls):
            status, text = code, message
            break
    field = field_of(err.message) if status == 422 else None
    if field:
        text = f"{FIELD_LABELS.get(field, field)}: {text}"
    return HttpError(status=status, message=text, field=field, detail=err.message)
