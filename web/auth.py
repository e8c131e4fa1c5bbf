"""Cookies and CSRF. The session cookie holds only a random token (the session is in the
database, see ``edge.users``): HttpOnly, SameSite=Lax, Secure when configured. Every form
carries a CSRF token: the session's own once logged in, a double-submit cookie on the login
form before there is a session."""

from __future__ import annotations

import secrets

from fastapi import Request, Response

from edge.users import Login
from settings import Settings
from web.errors import CsrfRefused

CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """No valid session: send the browser to the login page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def cookie_name(settings: Settings, what: str) -> str:
    # __Host- binds a Secure cookie to this host and path /
    return f"__Host-toshin_{what}" if settings.desk_secure_cookies else f"toshin_{what}"


def session_token(request: Request, settings: Settings) -> str | None:
    return request.cookies.get(cookie_name(settings, "session"))


def set_session_cookie(response: Response, settings: Settings, login: Login) -> None:
    response.set_cookie(
        cookie_name(settings, "session"),
        login.token,
        max_age=settings.desk_session_max_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.desk_secure_cookies,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        cookie_name(settings, "session"),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.desk_secure_cookies,
    )


def login_csrf(request: Request, settings: Settings) -> str:
    """The login form's token: the one already in the browser's cookie, or a new one."""
    return request.cookies.get(cookie_name(settings, "csrf")) or secrets.token_urlsafe(32)


def set_login_csrf_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        cookie_name(settings, "csrf"),
        token,
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.desk_secure_cookies,
    )


def check_login_csrf(request: Request, settings: Settings, posted: str | None) -> None:
    cookie = request.cookies.get(cookie_name(settings, "csrf"))
    if not cookie or not posted or not secrets.compare_digest(cookie, posted):
        raise CsrfRefused("csrf_token: missing or wrong on the login form")


def check_csrf(login: Login, posted: str | None) -> None:
    if not posted or not secrets.compare_digest(login.csrf_token, posted):
        raise CsrfRefused("csrf_token: missing or wrong")
