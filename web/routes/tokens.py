"""APIトークン: a signed-in user's own personal API tokens: list them, issue one (its secret is
shown once, on the page that answers the form), revoke one. The same ``UserService`` calls
as ``starter.py user token|tokens|revoke-token``; every form carries the session's CSRF token
and every issue and revocation is audited (the token's id, never the token)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from edge.users import Login
from models.audit import AuditAction
from models.calendar.clock import JST
from models.calendar.wareki import format_date
from models.errors import InvalidPayload
from web.auth import CSRF_FIELD, check_csrf
from web.deps import CurrentLogin, Desk, DeskDep, who
from web.errors import http_error
from web.frame import page_frame

router = APIRouter()


def _when(at: dt.datetime, desk: Desk) -> str:
    """A time in Japan, its date in the municipality's style (和暦 like every other page)."""
    local = at.astimezone(JST)
    return f"{format_date(local.date(), desk.town.date_style)} {local:%H:%M}"


def _page(request: Request, desk: Desk, login: Login, status: int = 200, **shown: Any) -> Response:
    context = page_frame(desk, login) | {
        "tokens": desk.users.tokens(login.user.username),
        "issued": None,
        "secret": None,
        "revoked": None,
        "error": None,
        "label": "",
        "when": lambda at: _when(at, desk),
    }
    return desk.templates.TemplateResponse(
        request, "tokens.html", context | shown, status_code=status
    )


@router.get("/tokens")
def tokens_page(request: Request, desk: DeskDep, login: CurrentLogin) -> Response:
    return _page(request, desk, login)


@router.post("/tokens")
def issue(
    request: Request,
    desk: DeskDep,
    login: CurrentLogin,
    label: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
) -> Response:
    """A new token for the signed-in user; its secret is on this page only."""
    check_csrf(login, csrf_token)
    try:
        secret, issued = desk.users.issue_token(login.user.username, label)
    except InvalidPayload as err:
        failure = http_error(err)
        return _page(request, desk, login, failure.status, error=failure.message, label=label)
    desk.audit.record(
        who(request, login), AuditAction.api_token_issue, detail=f"token {issued.token_id}"
    )
    return _page(request, desk, login, issued=issued, secret=secret)


@router.post("/tokens/{token_id}/revoke")
def revoke(
    request: Request,
    desk: DeskDep,
    login: CurrentLogin,
    token_id: str,
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
) -> Response:
    """Revoke one of the signed-in user's tokens (another user's id is not found)."""
    check_csrf(login, csrf_token)
    revoked = desk.users.revoke_token(login.user.username, token_id[:40])
    desk.audit.record(
        who(request, login), AuditAction.api_token_revoke, detail=f"token {revoked.token_id}"
    )
    return _page(request, desk, login, revoked=revoked)
