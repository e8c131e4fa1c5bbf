"""Who calls the API: a personal token (``Authorization: Bearer``, from
``starter.py user token NAME``) or the desk's session cookie. A cookie caller's writes carry
the session's CSRF token in the ``X-CSRF-Token`` header (a token caller has no cookie a
browser could send on its own, so it needs none)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from edge.users import UserService
from models.accounts import UserView
from models.errors import LoginRefused
from settings import Settings
from web.auth import check_csrf, session_token

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer = HTTPBearer(auto_error=False, description="a personal token: starter.py user token NAME")


@dataclass(frozen=True)
class Caller:
    user: UserView
    by_token: bool


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The signed-in caller; LoginRefused (401) without a valid token or session, CsrfRefused
    (403) for a cookie caller's write without the session's CSRF token."""
    users: UserService = request.app.state.users
    settings: Settings = request.app.state.settings
    if credentials is not None:
        return Caller(users.by_token(credentials.credentials), by_token=True)
    token = session_token(request, settings)
    login = users.resume(token) if token else None
    if login is None:
        raise LoginRefused(
            "Authorization: send a personal token as 'Bearer <token>' or a desk session cookie"
        )
    if request.method not in SAFE_METHODS:
        check_csrf(login, request.headers.get(CSRF_HEADER))
    return Caller(login.user, by_token=False)


CallerDep = Annotated[Caller, Depends(caller)]
