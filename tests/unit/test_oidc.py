"""The ID token checks of 自治体IDでログイン (edge/oidc.py) with real keys and signatures, the
provider's discovery and JWKS served in-process: a good token passes; an expired one, one
for another client, one with another nonce, one signed by another key, an unsigned one and
one keyed with the client secret are refused naming what is wrong; a rotated key is fetched
once. Bad settings are one line naming the setting. The browser flow against a provider
process is tests/integration/test_oidc_browser.py."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import urllib.parse
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

import launcher
from edge.oidc import (
    Identity,
    OidcClient,
    OidcConfig,
    OidcConfigError,
    OidcNoAccount,
    OidcRefused,
    PendingLogin,
    oidc_config,
)
from settings import Settings
from web.app import create_app

ISSUER = "https://id.example.lg.jp/realms/town"
LOCAL = "http://127.0.0.1"
CLIENT = "toshin-desk"
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
CONFIG = OidcConfig(
    issuer=ISSUER,
    client_id=CLIENT,
    client_secret="s" * 32,
    username_claim="preferred_username",
    scopes="openid",
    redirect_uri="",
)


class Provider:
    """Discovery, JWKS and token endpoint of one provider, counting the JWKS fetches and
    keeping the token requests; ``answer`` is what the token endpoint says."""

    def __init__(self, keys: list[RSAKey]) -> None:
        self.keys = keys
        self.jwks_fetches = 0
        self.token_requests: list[httpx2.Request] = []
        self.answer: tuple[int, dict[str, Any]] = (200, {})

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/token"):
            self.token_requests.append(request)
            status, answer = self.answer
            return httpx2.Response(status, content=json.dumps(answer).encode())
        if request.url.path.endswith("/.well-known/openid-configuration"):
            body: dict[str, Any] = {
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/auth",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/certs",
                "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"],
            }
        else:
            self.jwks_fetches += 1
            body = {"keys": [k.as_dict(private=False) for k in self.keys]}
        return httpx2.Response(200, content=json.dumps(body).encode())


def client(provider: Provider, now: dt.datetime = NOW) -> OidcClient:
    return OidcClient(CONFIG, clock=lambda: now, transport=httpx2.MockTransport(provider))


def claims(**changes: Any) -> dict[str, Any]:
    at = int(NOW.timestamp())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "8f2c",
        "aud": CLIENT,
        "iat": at,
        "exp": at + 300,
        "nonce": "n-1",
        "preferred_username": "hoken-kacho",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def signed(key: Any = KEY, alg: str = "RS256", **changes: Any) -> str:
    header = {"alg": alg, "kid": getattr(key, "kid", None) or "k1"}
    return jwt.encode(header, claims(**changes), key)


async def test_a_good_token_gives_its_claims() -> None:
    got = await client(Provider([KEY])).verify(signed(), nonce="n-1")
    assert got["preferred_username"] == "hoken-kacho" and got["sub"] == "8f2c"


@pytest.mark.parametrize(
    ("token", "nonce", "why"),
    [
        (lambda: signed(nonce="other"), "n-1", "id_token: nonce claim"),
        (lambda: signed(aud="another-client"), "n-1", "id_token: aud claim"),
        (lambda: signed(aud=None), "n-1", "id_token: aud claim"),
        (lambda: signed(iss="https://evil.example"), "n-1", "id_token: iss claim"),
        (lambda: signed(exp=int(NOW.timestamp()) - 120), "n-1", "id_token: exp claim"),
        (lambda: signed(aud=[CLIENT, "x"], azp="x"), "n-1", "id_token: azp claim"),
        (lambda: signed(RSAKey.generate_key(2048, parameters={"kid": "k1"})), "n-1", "signature"),
        (lambda: signed(OctKey.import_key("s" * 32), "HS256"), "n-1", "signature"),
    ],
    ids=["nonce", "audience", "no-audience", "issuer", "expired", "azp", "other-key", "hs256"],
)
async def test_a_wrong_token_is_refused_naming_what_is_wrong(
    token: Any, nonce: str, why: str
) -> None:
    with pytest.raises(OidcRefused, match=why):
        await client(Provider([KEY])).verify(token(), nonce=nonce)


async def test_an_unsigned_token_is_refused() -> None:
    parts = signed().split(".")
    header = json.dumps({"alg": "none", "kid": "k1"}).encode()
    none = base64.urlsafe_b64encode(header).rstrip(b"=").decode()
    with pytest.raises(OidcRefused, match="id_token: signature"):
        await client(Provider([KEY])).verify(f"{none}.{parts[1]}.", nonce="n-1")


async def test_a_token_valid_at_its_time_is_refused_later_without_waiting() -> None:
    token = signed()
    later = NOW + dt.timedelta(minutes=10)
    assert await client(Provider([KEY])).verify(token, nonce="n-1")
    with pytest.raises(OidcRefused, match="exp claim"):
        await client(Provider([KEY]), now=later).verify(token, nonce="n-1")


async def test_a_rotated_key_is_fetched_once() -> None:
    provider = Provider([KEY])
    oidc = client(provider)
    await oidc.verify(signed(), nonce="n-1")
    new = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    provider.keys = [KEY, new]
    await oidc.verify(signed(new), nonce="n-1")
    await oidc.verify(signed(new), nonce="n-1")
    assert provider.jwks_fetches == 2


def test_settings_name_what_is_missing(tmp_path: Path) -> None:
    assert oidc_config(Settings(data_dir=tmp_path)) is None  # off by default
    on = {"data_dir": tmp_path, "oidc_enabled": True, "oidc_client_id": CLIENT}
    cases = [
        ({"oidc_issuer": ""}, "TOSHIN_OIDC_ISSUER"),
        ({"oidc_issuer": "http://id.example.lg.jp"}, "TOSHIN_OIDC_ISSUER: must be https"),
        ({"oidc_issuer": ISSUER, "oidc_client_id": ""}, "TOSHIN_OIDC_CLIENT_ID"),
        ({"oidc_issuer": ISSUER}, "TOSHIN_OIDC_CLIENT_SECRET"),
        (
            {"oidc_issuer": ISSUER, "oidc_client_secret_file": tmp_path / "none"},
            "TOSHIN_OIDC_CLIENT_SECRET_FILE: No such file",
        ),
        (
            {"oidc_issuer": ISSUER, "oidc_client_secret": "x", "oidc_scopes": "profile"},
            "TOSHIN_OIDC_SCOPES",
        ),
        (
            {"oidc_issuer": ISSUER, "oidc_client_secret": "x", "oidc_username_claim": "email"},
            "TOSHIN_OIDC_EMAIL_DOMAIN: required when the claim is email",
        ),
    ]
    for changes, message in cases:
        with pytest.raises(OidcConfigError, match=message):
            oidc_config(Settings(**(on | changes)))
    loopback = oidc_config(
        Settings(**(on | {"oidc_issuer": "http://127.0.0.1:9000/", "oidc_client_secret": "x"}))
    )
    assert loopback is not None and loopback.issuer == "http://127.0.0.1:9000"


def test_the_login_page_offers_the_provider_only_when_configured(tmp_path: Path) -> None:
    (tmp_path / "off").mkdir()
    (tmp_path / "down").mkdir()
    with TestClient(create_app(Settings(data_dir=tmp_path / "off")), base_url=LOCAL) as off:
        assert "自治体IDでログイン" not in off.get("/login").text
        assert off.get("/login/oidc", follow_redirects=False).status_code == 404
    down = Settings(
        data_dir=tmp_path / "down",
        oidc_enabled=True,
        oidc_issuer="http://127.0.0.1:1",  # nothing listens there
        oidc_client_id=CLIENT,
        oidc_client_secret="x" * 32,
    )
    with TestClient(create_app(down), base_url=LOCAL) as on:
        assert "自治体IDでログイン" in on.get("/login").text
        page = on.get("/login/oidc", follow_redirects=False)
        assert page.status_code == 503 and "接続できませんでした" in page.text
        # a cookie this desk did not write is no login attempt
        fields = {"state": "s", "nonce": "n", "verifier": "v", "next": "/", "started": "x"}
        on.cookies.set(
            "toshin_oidc", base64.urlsafe_b64encode(json.dumps(fields).encode()).decode()
        )
        forged = on.get("/login/oidc/callback", params={"code": "c", "state": "s"})
        assert forged.status_code == 401 and "確認できませんでした" in forged.text


def test_toshin_up_stops_on_a_bad_setting_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOSHIN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TOSHIN_OIDC_ENABLED", "true")
    monkeypatch.setenv("TOSHIN_OIDC_ISSUER", "http://id.example.lg.jp")
    with pytest.raises(SystemExit) as stopped:
        launcher.main()
    assert stopped.value.code == (
        "error: TOSHIN_OIDC_ISSUER: must be https (plain http only on loopback)"
    )
    assert not (tmp_path / "var").exists()  # nothing was started or written


def at_hash(access: str) -> str:
    digest = hashlib.sha256(access.encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def bearer(access: str, id_token: str | None) -> dict[str, Any]:
    answer = {"access_token": access, "token_type": "Bearer", "id_token": id_token}
    return {k: v for k, v in answer.items() if v is not None}


PENDING = PendingLogin(
    state="st-1", nonce="n-1", verifier="v" * 64, next="/cases", started=int(NOW.timestamp())
)


async def finish(provider: Provider, now: dt.datetime = NOW, state: str = "st-1") -> Identity:
    oidc = client(provider, now)
    return await oidc.finish(
        PENDING, state=state, code="code-1", redirect_uri="http://127.0.0.1/cb", max_age=600
    )


async def test_the_code_is_traded_with_the_secret_and_verifier_for_a_checked_identity() -> None:
    provider = Provider([KEY])
    provider.answer = (200, bearer("at-1", signed(at_hash=at_hash("at-1"))))
    identity = await finish(provider)
    assert identity == Identity(username="hoken-kacho", claimed="hoken-kacho", subject="8f2c")
    (sent,) = provider.token_requests
    form = dict(urllib.parse.parse_qsl(sent.content.decode()))
    assert form["code"] == "code-1" and form["code_verifier"] == "v" * 64
    assert form["grant_type"] == "authorization_code"
    assert form["redirect_uri"] == "http://127.0.0.1/cb"
    expected = base64.b64encode(f"{CLIENT}:{'s' * 32}".encode()).decode()
    assert sent.headers["authorization"] == f"Basic {expected}"


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ((400, {"error": "invalid_grant"}), "code: refused by the provider"),
        ((200, bearer("at-1", None)), "id_token: missing"),
        ((200, bearer("at-1", "not-a-jwt")), "id_token: signature"),
        ((200, bearer("at-2", signed(at_hash=at_hash("at-1")))), "id_token: at_hash claim"),
        ((200, bearer("at-1", signed(preferred_username=None))), "no preferred_username claim"),
    ],
    ids=["code-refused", "no-id-token", "garbage", "at-hash", "no-claim"],
)
async def test_a_refused_or_incomplete_token_answer_is_refused(
    answer: tuple[int, dict[str, Any]], why: str
) -> None:
    provider = Provider([KEY])
    provider.answer = answer
    with pytest.raises(OidcRefused, match=why):
        await finish(provider)


async def test_a_late_or_foreign_answer_is_refused_before_the_code_is_used() -> None:
    provider = Provider([KEY])
    with pytest.raises(OidcRefused, match="state: does not match"):
        await finish(provider, state="st-2")
    with pytest.raises(OidcRefused, match="state: the login attempt has expired"):
        await finish(provider, now=NOW + dt.timedelta(minutes=11))
    assert provider.token_requests == []


async def test_an_email_names_the_account_only_in_the_towns_domain_and_verified() -> None:
    provider = Provider([KEY])
    by_email = OidcClient(
        replace(CONFIG, username_claim="email", email_domain="town.example.lg.jp"),
        clock=lambda: NOW,
        transport=httpx2.MockTransport(provider),
    )
    cases: list[tuple[str, bool | None, str | type[OidcRefused]]] = [
        ("Hoken-Kacho@Town.Example.lg.jp", True, "hoken-kacho"),
        ("hoken-kacho@town.example.lg.jp", None, "hoken-kacho"),  # no email_verified claim
        ("hoken-kacho@town.example.lg.jp", False, OidcRefused),
        ("hoken-kacho@evil.example", True, OidcNoAccount),
        ("hoken-kacho@town.example.lg.jp.evil.example", True, OidcNoAccount),
    ]
    for email, verified, outcome in cases:
        provider.answer = (200, bearer("at-1", signed(email=email, email_verified=verified)))
        attempt = by_email.finish(
            PENDING, state="st-1", code="c", redirect_uri="http://127.0.0.1/cb", max_age=600
        )
        if isinstance(outcome, str):
            identity = await attempt
            assert (identity.username, identity.claimed) == (outcome, email)
        else:
            with pytest.raises(outcome):
                await attempt
