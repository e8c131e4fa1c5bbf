"""The desk: Japanese pages for the people who work the cases, behind a login.

``create_app(settings)`` builds it; ``uvicorn web.app:app`` (or ``./toshin up``) serves it.
Every page is rendered on the server; htmx (vendored under static/) only enhances. The
Content-Security-Policy allows nothing from another host and no inline script or style.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from edge.audit import AuditTrail, ensure_audit_key, keyring_of
from edge.connect import Edge
from edge.loaders import load_municipality
from edge.oidc import OidcClient, oidc_config
from edge.users import UserService
from models.errors import CaseError, InvalidPayload, describe_validation_error
from persistence.database import make_engine
from settings import Settings
from web.api.app import create_api, no_such_operation
from web.auth import LoginRequired
from web.deps import Desk
from web.errors import http_error
from web.routes import admin as admin_routes
from web.routes import auth as auth_routes
from web.routes import calendar as calendar_routes
from web.routes import case_files as case_file_routes
from web.routes import cases as case_routes
from web.routes import codec as codec_routes
from web.routes import deadlines as deadline_routes
from web.routes import intake as intake_routes
from web.routes import member_files as member_file_routes
from web.routes import members as member_routes
from web.routes import oidc as oidc_routes
from web.routes import precedents as precedent_routes
from web.routes import sessions as session_routes
from web.routes import tokens as token_routes

HERE = Path(__file__).resolve().parent
log = logging.getLogger("toshin.desk")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(settings: Settings | None = None, *, edge: Edge | None = None) -> FastAPI:
    """The desk on ``settings``; ``edge`` given (tests) or opened on first use."""
    settings = settings or Settings()
    engine = make_engine(
        settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    templates = Jinja2Templates(directory=HERE / "templates")
    oidc = oidc_config(settings)
    app = FastAPI(title="toshin desk", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.desk = Desk(
        settings=settings,
        users=UserService(settings, engine),
        town=edge.municipality if edge else load_municipality(settings.municipality_file),
        engine=engine,
        templates=templates,
        audit=AuditTrail(
            engine,
            ensure_audit_key(settings),
            documents_dir=settings.documents_path,
            evidence_dir=settings.evidence_path,
            keyring=keyring_of(settings),
        ),
        edge=edge,
        oidc=OidcClient(oidc) if oidc else None,
    )
    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, calendar_routes.HideFeedTokens) for f in access_log.filters):
        access_log.addFilter(calendar_routes.HideFeedTokens())
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(auth_routes.router)
    app.include_router(oidc_routes.router)
    app.include_router(case_routes.router)
    app.include_router(case_file_routes.router)
    app.include_router(deadline_routes.router)
    app.include_router(session_routes.router)
    app.include_router(intake_routes.router)
    app.include_router(member_routes.router)
    app.include_router(member_file_routes.router)
    app.include_router(precedent_routes.router)
    app.include_router(codec_routes.router)
    app.include_router(admin_routes.router)
    app.include_router(token_routes.router)
    app.include_router(calendar_routes.router)
    app.mount("/api/v1", create_api(app.state.desk))

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if settings.desk_secure_cookies:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if not request.url.path.startswith("/static/"):
            # a page behind the login must not come back from a cache after logout
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.path)}", status_code=303)

    @app.exception_handler(HTTPException)
    async def not_here(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return await no_such_operation(request, exc)
        return await http_exception_handler(request, exc)

    @app.exception_handler(ValidationError)
    async def invalid_model(request: Request, exc: ValidationError) -> Response:
        """A value the models refuse that no form check caught first (say, an act payload
        over the size budget): the same 422 page as any InvalidPayload, never a 500."""
        return await domain_error(request, InvalidPayload(describe_validation_error(exc)))

    @app.exception_handler(CaseError)
    async def domain_error(request: Request, exc: CaseError) -> Response:
        err = http_error(exc)
        if err.status == 403:
            log.warning("refused %s %r: %r", request.method, request.url.path, exc.message)
        return templates.TemplateResponse(
            request,
            "error.html",
            {"error": err, "login": None, "town": app.state.desk.town.name},
            status_code=err.status,
        )

    return app


def app() -> FastAPI:
    """The desk on the environment's settings (``uvicorn --factory web.app:app``)."""
    return create_app()
