"""自治体IDでログイン: the desk's two OIDC routes (edge/oidc.py does the protocol).

``GET /login/oidc`` sends the browser to the provider, keeping this attempt's state, nonce and
PKCE verifier in a short-lived HttpOnly cookie; ``GET /login/oidc/callback`` checks them, opens
a local session for the mapped account (its own roles) and lands like a password login. A
refusal is a page that says what to do, and is audited like a failed login.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import replace

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from edge.oidc import (
    CALLBACK_PATH,
    OidcClient,
    OidcNoAccount,
    OidcRefused,
    OidcUnavailable,
    PendingLogin,
)
from edge.oidc import account_for as oidc_account
from models.audit import AuditAction
from models.errors import CaseNotFound
from web.access import landing
from web.auth import cookie_name, set_session_cookie
from web.deps import Desk, DeskDep, who
from web.routes.auth import safe_next

router = APIRouter()
log = logging.getLogger("toshin.desk")

PENDING_SECONDS = 600  # a login attempt at the provider must come back within 10 minutes

REFUSED = (
    "自治体IDでのログインを確認できませんでした",
    "もう一度お試しください。続く場合は情報システム課に連絡してください。",
)
NO_ACCOUNT = (
    "この自治体IDで使える職員アカウントがありません",
    "アカウントの登録または利用再開を情報システム課(システム管理者)に依頼してください。",
)
UNAVAILABLE = (
    "自治体IDの認証サーバーに接続できませんでした",
    "時間をおいてもう一度お試しください。職員アカウントのパスワードでもログインできます。",
)


def _client(desk: Desk) -> OidcClient:
    if desk.oidc is None:
        raise CaseNotFound("oidc: 自治体IDでのログインは設定されていません")
    return desk.oidc


def _redirect_uri(request: Request, client: OidcClient) -> str:
    return client.config.redirect_uri or str(request.base_url).rstrip("/") + CALLBACK_PATH


def _encode(pending: PendingLogin) -> str:
    raw = json.dumps(pending.__dict__, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode(value: str | None) -> PendingLogin | None:
    if not value:
        return None
    try:
        fields = json.loads(base64.urlsafe_b64decode(value.encode()))
        pending = PendingLogin(**fields)
    except (binascii.Error, ValueError, TypeError):
        return None
    texts = (pending.state, pending.nonce, pending.verifier, pending.next)
    if not all(isinstance(t, str) for t in texts) or type(pending.started) is not int:
        return None
    return replace(pending, next=safe_next(pending.next))


def _forget(response: Response, desk: Desk) -> None:
    """The attempt's cookie goes (with the attributes it was set with: a __Host- cookie is
    only replaced by a Secure one)."""
    response.delete_cookie(
        cookie_name(desk.settings, "oidc"),
        path="/",
        httponly=True,
        samesite="lax",
        secure=desk.settings.desk_secure_cookies,
    )


def _refusal(
    request: Request, desk: Desk, status: int, text: tuple[str, str], next_: str = "/cases"
) -> Response:
    response = desk.templates.TemplateResponse(
        request,
        "oidc_refused.html",
        {"title": text[0], "advice": text[1], "next": next_, "login": None, "town": desk.town.name},
        status_code=status,
    )
    _forget(response, desk)
    return response


@router.get("/login/oidc")
async def start(request: Request, desk: DeskDep, next: str | None = None) -> Response:
    """To the provider's login, with a fresh state, nonce and PKCE verifier."""
    client = _client(desk)
    try:
        url, pending = await client.begin(_redirect_uri(request, client), safe_next(next))
    except OidcUnavailable as err:
        log.warning("oidc: cannot start a login: %s", err.message)
        return _refusal(request, desk, 503, UNAVAILABLE)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        cookie_name(desk.settings, "oidc"),
        _encode(pending),
        max_age=PENDING_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",  # sent on the provider's redirect back (a top-level GET)
        secure=desk.settings.desk_secure_cookies,
    )
    return response


@router.get(CALLBACK_PATH)
async def callback(
    request: Request, desk: DeskDep, code: str = "", state: str = "", error: str = ""
) -> Response:
    """The provider's answer: a local session for the mapped account, or a refusal page."""
    client = _client(desk)
    pending = _decode(request.cookies.get(cookie_name(desk.settings, "oidc")))
    next_ = pending.next if pending else "/cases"
    identity = None
    try:
        if error:
            raise OidcRefused(f"error: the provider answered {error[:40]!r}")
        if pending is None:
            raise OidcRefused("state: no login attempt in this browser (or it has expired)")
        identity = await client.finish(
            pending,
            state=state,
            code=code,
            redirect_uri=_redirect_uri(request, client),
            max_age=PENDING_SECONDS,
        )
        user = await run_in_threadpool(oidc_account, desk.users, identity)
    except OidcNoAccount as err:
        claim = client.config.username_claim
        detail = f"{err.message}: {claim}={identity.claimed[:80]}" if identity else err.message
        await run_in_threadpool(_refused, request, desk, detail)
        return _refusal(request, desk, 403, NO_ACCOUNT, next_)
    except OidcRefused as err:
        await run_in_threadpool(_refused, request, desk, f"oidc: {err.message}")
        return _refusal(request, desk, 401, REFUSED, next_)
    except OidcUnavailable as err:
        log.warning("oidc: cannot finish a login: %s", err.message)
        return _refusal(request, desk, 503, UNAVAILABLE, next_)
    login_ = await run_in_threadpool(desk.users.open_session, user)
    signed_in = who(request, login_)
    await run_in_threadpool(desk.audit.record, signed_in, AuditAction.login, detail="oidc")
    response = RedirectResponse(landing(user, next_), status_code=303)
    set_session_cookie(response, desk.settings, login_)
    _forget(response, desk)
    return response


def _refused(request: Request, desk: Desk, detail: str) -> None:
    desk.audit.record(who(request, None), AuditAction.login_refused, detail=detail)
