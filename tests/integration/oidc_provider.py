"""A small OpenID Connect provider for the tests, run as its own process on loopback:
``python -m tests.integration.oidc_provider --client-id … --client-secret … --redirect-uri …``
prints its port on the first line of stdout, then serves discovery, JWKS, authorize (a login
form: the name typed is the ``preferred_username``), and token (client_secret_basic, one-time
codes bound to the redirect URI, PKCE S256 checked). ID tokens are RS256 with a fresh key.

``POST /test/tamper`` with ``mode=`` nonce, audience, signature or issuer makes the next ID
tokens wrong in that one way (empty: honest again), so the tests can prove the desk refuses
them.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import secrets
import socket
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

KID = "test-key-1"
TAMPER_MODES = ("", "nonce", "audience", "signature", "issuer")


@dataclass
class Grant:
    username: str
    nonce: str
    challenge: str
    redirect_uri: str


@dataclass
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    key: RSAKey
    forger: RSAKey  # same kid, other key: a token signed with it must not verify
    tamper: str = ""

    def __post_init__(self) -> None:
        self.grants: dict[str, Grant] = {}

    def id_token(self, grant: Grant, access_token: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer if self.tamper != "issuer" else self.issuer + "/other",
            "sub": "sub-" + hashlib.sha256(grant.username.encode()).hexdigest()[:16],
            "aud": self.client_id if self.tamper != "audience" else "another-client",
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce if self.tamper != "nonce" else secrets.token_urlsafe(16),
            "preferred_username": grant.username,
            "at_hash": _half_hash(access_token),
        }
        key = self.forger if self.tamper == "signature" else self.key
        return jwt.encode({"alg": "RS256", "kid": KID}, claims, key)


def _half_hash(value: str) -> str:
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def _error(text: str, status: int = 400) -> Response:
    return JSONResponse({"error": "invalid_request", "error_description": text}, status)


def build(provider: Provider) -> Starlette:
    async def discovery(request: Request) -> Response:
        base = provider.issuer
        return JSONResponse(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            }
        )

    async def jwks(request: Request) -> Response:
        return JSONResponse({"keys": [provider.key.as_dict(private=False, kid=KID)]})

    async def authorize(request: Request) -> Response:
        q = request.query_params if request.method == "GET" else await request.form()
        checks = {
            "client_id": q.get("client_id") == provider.client_id,
            "redirect_uri": q.get("redirect_uri") == provider.redirect_uri,
            "response_type": q.get("response_type") == "code",
            "scope": "openid" in str(q.get("scope", "")).split(),
            "code_challenge_method": q.get("code_challenge_method") == "S256",
            "code_challenge": bool(q.get("code_challenge")),
            "state": bool(q.get("state")),
            "nonce": bool(q.get("nonce")),
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            return _error(f"bad or missing: {', '.join(bad)}")
        if request.method == "GET":
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(str(v))}">'
                for k, v in q.items()
            )
            return HTMLResponse(
                '<!doctype html><html lang="ja"><head><meta charset="utf-8">'
                "<title>テスト用IDプロバイダ</title></head><body><main>"
                "<h1>テスト用IDプロバイダ</h1>"
                f'<form method="post" action="/authorize">{hidden}'
                '<label for="login">ID</label> <input id="login" name="login">'
                '<button type="submit">サインイン</button></form></main></body></html>'
            )
        code = secrets.token_urlsafe(24)
        provider.grants[code] = Grant(
            username=str(q.get("login", "")),
            nonce=str(q["nonce"]),
            challenge=str(q["code_challenge"]),
            redirect_uri=str(q["redirect_uri"]),
        )
        query = urlencode({"code": code, "state": q["state"]})
        return RedirectResponse(f"{provider.redirect_uri}?{query}", status_code=302)

    async def token(request: Request) -> Response:
        expected = base64.b64encode(
            f"{provider.client_id}:{provider.client_secret}".encode()
        ).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client"}, 401)
        form = await request.form()
        grant = provider.grants.pop(str(form.get("code", "")), None)  # one-time
        if form.get("grant_type") != "authorization_code" or grant is None:
            return JSONResponse({"error": "invalid_grant"}, 400)
        if form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse({"error": "invalid_grant"}, 400)
        verifier = str(form.get("code_verifier", ""))
        if _s256(verifier) != grant.challenge:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        access = secrets.token_urlsafe(24)
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": provider.id_token(grant, access),
            }
        )

    async def tamper(request: Request) -> Response:
        mode = str((await request.form()).get("mode", ""))
        if mode not in TAMPER_MODES:
            return _error(f"mode: one of {TAMPER_MODES}")
        provider.tamper = mode
        return JSONResponse({"tamper": mode})

    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/jwks", jwks),
            Route("/authorize", authorize, methods=["GET", "POST"]),
            Route("/token", token, methods=["POST"]),
            Route("/test/tamper", tamper, methods=["POST"]),
        ]
    )


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-uri", required=True)
    args = parser.parse_args()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    provider = Provider(
        issuer=f"http://127.0.0.1:{port}",
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uri=args.redirect_uri,
        key=RSAKey.generate_key(2048),
        forger=RSAKey.generate_key(2048),
    )
    print(port, flush=True)
    config = uvicorn.Config(build(provider), log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
    sys.exit(0)


if __name__ == "__main__":
    main()
