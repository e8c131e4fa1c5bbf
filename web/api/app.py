"""The API application, mounted by the desk at /api/v1 (its OpenAPI document at
/api/v1/openapi.json; no interactive docs: they would load scripts from a CDN).

Errors answer as JSON: ``{"error": {"type", "message", "field"}}``, with the status of the one
HTTP mapping (``web.errors``); a refused request (403) is logged.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from models.errors import CaseError
from web.api import routes
from web.deps import Desk
from web.errors import http_error

log = logging.getLogger("toshin.api")


def error_response(status: int, kind: str, message: str, field: str | None) -> JSONResponse:
    body = {"error": {"type": kind, "message": message, "field": field}}
    return JSONResponse(body, status_code=status)


def named_field(message: str) -> str | None:
    """The dotted field a domain error's message starts with: "payload.reason: …"."""
    head, sep, _ = message.partition(":")
    return head.strip() if sep and head.strip() and " " not in head.strip() else None


async def no_such_operation(request: Request, exc: HTTPException) -> Response:
    """A path or method the API does not have, or a body that is not JSON: the API's error
    body, not Starlette's (a body that cannot be parsed is a 422 naming ``body``). The desk
    answers so too for a path under /api/ that never reaches the API (one with a newline)."""
    if exc.status_code == 400:
        return error_response(422, "InvalidPayload", f"body: {exc.detail}", "body")
    kind = HTTPStatus(exc.status_code).phrase.replace(" ", "")
    message = f"{request.method} {request.url.path}: {exc.detail}"
    return error_response(exc.status_code, kind, message, None)


def create_api(desk: Desk) -> FastAPI:
    api = FastAPI(
        title="toshin API",
        version="1",
        description="Cases and council sessions of toshin, with the desk's permissions.",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    api.state.desk = desk
    api.state.users = desk.users
    api.state.settings = desk.settings
    api.include_router(routes.router)

    @api.exception_handler(CaseError)
    async def domain_error(request: Request, exc: CaseError) -> Response:
        err = http_error(exc)
        if err.status == 403:
            log.warning("api refused %s %r: %r", request.method, request.url.path, exc.message)
        field = named_field(exc.message) if err.status in (401, 403, 422) else None
        return error_response(err.status, type(exc).__name__, exc.message, field)

    api.add_exception_handler(HTTPException, no_such_operation)  # type: ignore[arg-type]

    @api.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"][1:]) or str(first["loc"][0])
        message = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}"
            for e in exc.errors()
        )
        return error_response(422, "InvalidPayload", message, field)

    return api
