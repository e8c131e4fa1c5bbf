"""The remote codec for the Temporal Web UI (Temporal's codec server protocol): ``POST
/codec/decode`` and ``/codec/encode`` take ``{"payloads": [...]}`` (protobuf JSON) and answer
the same shape, decrypted or encrypted with the keyring (edge/codec.py).

Only a logged-in admin is served; the UI's fetch carries the desk's session cookie when the
UI's codec setting "Include cross-origin credentials" is on (the UI and the desk are on the
same host, so the SameSite=Lax cookie goes along). Everybody else gets 401/403 and the UI
keeps showing ciphertext. CORS answers only the UI's origin (``Settings.codec_origin``), with
credentials. CSRF: a request must be JSON and carry ``X-Namespace`` (a custom header: no page
can send it cross-origin without a preflight, which only the UI's origin passes), and an
``Origin`` other than the UI's or the desk's own is refused. Every decode is audited (who,
namespace, how many payloads); the UI's endpoint may end in ``/``, so only the last path
segment names the operation (as the protocol says).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from edge.codec import (
    KeyringError,
    PayloadsJsonError,
    TamperedPayloadError,
    convert_payloads_json,
    load_keyring,
)
from edge.users import Login
from models.accounts import UserRole
from models.audit import AuditAction
from web.auth import session_token
from web.deps import Desk, DeskDep, who

router = APIRouter()

Operation = Literal["decode", "encode"]
ALLOW_HEADERS = "Content-Type, X-Namespace"
MAX_BODY_BYTES = 8 * 1024 * 1024


def _operation(path: str) -> Operation | None:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return "decode" if last == "decode" else "encode" if last == "encode" else None


def _cors(request: Request, desk: Desk) -> dict[str, str]:
    origin = request.headers.get("origin")
    if origin is not None and origin == desk.settings.codec_origin:
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }
    return {"Vary": "Origin"}


def _refuse(status: int, error: str, headers: dict[str, str]) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status, headers=headers)


@router.options("/codec/{path:path}")
def codec_preflight(request: Request, desk: DeskDep, path: str) -> Response:
    """CORS preflight: only the Temporal UI's origin may call, with credentials."""
    if _operation(path) is None:
        return _refuse(404, "path: not /codec/decode or /codec/encode", {})
    cors = _cors(request, desk)
    if "Access-Control-Allow-Origin" not in cors:
        return _refuse(403, "Origin: not the Temporal UI's origin", cors)
    return Response(
        status_code=204,
        headers={
            **cors,
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": "600",
        },
    )


@router.post("/codec/{path:path}")
async def codec(request: Request, desk: DeskDep, path: str) -> Response:
    """Decode or encode payloads for a logged-in admin; every call is audited."""
    operation = _operation(path)
    if operation is None:
        return _refuse(404, "path: not /codec/decode or /codec/encode", {})
    cors = _cors(request, desk)
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin is not None and origin not in (desk.settings.codec_origin, own):
        return _refuse(403, "Origin: not the Temporal UI's origin", cors)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _refuse(415, "Content-Type: must be application/json", cors)
    namespace = request.headers.get("x-namespace")
    if namespace is None:
        return _refuse(400, "X-Namespace: missing (the codec protocol's header)", cors)
    if namespace != desk.settings.namespace:
        return _refuse(400, f"X-Namespace: {namespace!r} is not this desk's namespace", cors)

    login = await run_in_threadpool(_login, request, desk)
    if login is None or UserRole.admin not in login.user.roles:
        status, why = (401, "not logged in") if login is None else (403, "not an admin")
        await _audit(request, desk, login, AuditAction.codec_refused, f"{operation}: {why}")
        return _refuse(status, f"session: {why} (the codec is for admins of the desk)", cors)

    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _refuse(413, f"payloads: more than {MAX_BODY_BYTES} bytes", cors)
    try:
        keyring = load_keyring(desk.settings.keyring.get_secret_value(), desk.settings.keyring_path)
    except KeyringError as err:
        return _refuse(503, f"keyring: {err}", cors)
    try:
        answer, count = await convert_payloads_json(body, keyring, operation)
    except PayloadsJsonError as err:
        return _refuse(400, f"payloads: {err}", cors)
    except (KeyringError, TamperedPayloadError) as err:
        await _audit(request, desk, login, AuditAction.codec_refused, f"{operation}: {err}")
        return _refuse(422, f"payloads: {err}", cors)
    action = AuditAction.codec_decode if operation == "decode" else AuditAction.codec_encode
    await _audit(request, desk, login, action, f"namespace {namespace}: {count} payloads")
    return JSONResponse(answer, headers=cors)


def _login(request: Request, desk: Desk) -> Login | None:
    token = session_token(request, desk.settings)
    return desk.users.resume(token) if token else None


async def _audit(
    request: Request, desk: Desk, login: Login | None, action: AuditAction, detail: str
) -> None:
    await run_in_threadpool(desk.audit.record, who(request, login), action, detail=detail)
