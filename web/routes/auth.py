"""Login and logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from models.audit import AuditAction
from models.errors import AccountLocked, LoginRefused, UnknownUser
from web.access import landing
from web.auth import (
    CSRF_FIELD,
    check_csrf,
    check_login_csrf,
    clear_session_cookie,
    login_csrf,
    session_token,
    set_login_csrf_cookie,
    set_session_cookie,
)
from web.deps import Desk, DeskDep, who
from web.errors import http_error

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this desk (never another host)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/cases"


def _login_page(
    request: Request, desk: DeskDep, *, next_: str, error: str | None, status: int = 200
) -> Response:
    token = login_csrf(request, desk.settings)
    response = desk.templates.TemplateResponse(
        request,
        "login.html",
        {
            "csrf": token,
            "next": next_,
            "error": error,
            "login": None,
            "town": desk.town.name,
            "oidc": desk.oidc is not None,
        },
        status_code=status,
    )
    set_login_csrf_cookie(response, desk.settings, token)
    return response


def _audit_failed_login(request: Request, desk: Desk, username: str, err: Exception) -> None:
    """A refused login names the account only when one has that name (a password typed into
    the name field must not end up in the trail); the failure that locks it says so."""
    try:
        account = desk.users.get(username)
    except UnknownUser:
        desk.audit.record(who(request, None), AuditAction.login_refused, detail="unknown account")
        return
    if isinstance(err, AccountLocked):
        desk.audit.record(who(request, None, account.username), AuditAction.login_locked)
        return
    detail = "account now locked" if account.locked else "wrong password or disabled account"
    desk.audit.record(
        who(request, None, account.username), AuditAction.login_refused, detail=detail
    )


@router.get("/")
def home() -> Response:
    return RedirectResponse("/cases", status_code=303)


@router.get("/login")
def login_form(request: Request, desk: DeskDep, next: str | None = None) -> Response:
    return _login_page(request, desk, next_=safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    desk: DeskDep,
    username: Annotated[str, Form(max_length=40)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
    next: Annotated[str | None, Form()] = None,
) -> Response:
    check_login_csrf(request, desk.settings, csrf_token)
    try:
        user = desk.users.authenticate(username.strip(), password)
    except (LoginRefused, AccountLocked) as err:
        _audit_failed_login(request, desk, username.strip(), err)
        failure = http_error(err)
        return _login_page(
            request, desk, next_=safe_next(next), error=failure.message, status=failure.status
        )
    login_ = desk.users.open_session(user)
    desk.audit.record(who(request, login_), AuditAction.login)
    response = RedirectResponse(landing(user, safe_next(next)), status_code=303)
    set_session_cookie(response, desk.settings, login_)
    return response


@router.post("/logout")
def logout(
    request: Request,
    desk: DeskDep,
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
) -> Response:
    token = session_token(request, desk.settings)
    login_ = desk.users.resume(token) if token else None
    if login_ is not None:
        check_csrf(login_, csrf_token)
        desk.users.close_session(login_.token)
        desk.audit.record(who(request, login_), AuditAction.logout)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, desk.settings)
    return response
