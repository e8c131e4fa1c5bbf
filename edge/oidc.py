"""Login through the municipality's identity provider (OpenID Connect, authorization code flow
with PKCE), with Authlib.

``begin`` makes the provider's authorization URL and the one-time values of this attempt
(state, nonce, PKCE verifier), which the desk keeps in a short-lived HttpOnly cookie;
``finish`` checks the state, trades the code for tokens at the token endpoint (client secret
and verifier), and accepts the ID token only when its signature verifies against the
provider's JWKS (RS/PS/ES algorithms, never ``none`` or a shared secret), its issuer is the
configured one, its audience holds our client id, its nonce is this attempt's and it is
within its lifetime. The account is then the local account whose username equals the
configured claim: roles come from toshin, never from the provider.

::

    LoginRefused
    └── OidcRefused        the provider's answer is refused (state, code, ID token)
        └── OidcNoAccount  a verified identity with no usable local account
    OidcConfigError        a TOSHIN_OIDC_* setting is missing or malformed (at start)
    OidcUnavailable        the provider cannot be reached or answers nonsense (503)
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from edge.users import UserService
from models.accounts import UserView
from models.errors import CaseError, LoginRefused, UnknownUser
from settings import Settings

# asymmetric signatures only: "none" and HS* (keyed with the client secret) are refused
SIGNING_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
LEEWAY_SECONDS = 60
HTTP_TIMEOUT = 10.0
CALLBACK_PATH = "/login/oidc/callback"


class OidcConfigError(CaseError):
    """A TOSHIN_OIDC_* setting is missing or malformed."""


class OidcUnavailable(CaseError):
    """The identity provider cannot be reached, or its discovery or token answer is unusable."""


class OidcRefused(LoginRefused):
    """The provider's answer does not prove who logs in (state, code, ID token)."""


class OidcNoAccount(OidcRefused):
    """A verified identity that names no local account, or a disabled one."""


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    username_claim: str
    scopes: str
    redirect_uri: str  # empty: the desk's own address + CALLBACK_PATH
    email_domain: str = ""  # the claim is email: its part before @ names the account


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def oidc_config(settings: Settings) -> OidcConfig | None:
    """The OIDC settings when OIDC is on (None when off); OidcConfigError names the setting
    that is missing or malformed. The issuer must be https (plain http on loopback only)."""
    if not settings.oidc_enabled:
        return None
    issuer = settings.oidc_issuer.rstrip("/")
    parts = urlsplit(issuer)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise OidcConfigError("TOSHIN_OIDC_ISSUER: the provider's https URL is required")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise OidcConfigError("TOSHIN_OIDC_ISSUER: must be https (plain http only on loopback)")
    if not settings.oidc_client_id:
        raise OidcConfigError("TOSHIN_OIDC_CLIENT_ID: required when TOSHIN_OIDC_ENABLED is on")
    secret = settings.oidc_client_secret.get_secret_value()
    if not secret and settings.oidc_client_secret_file:
        try:
            secret = settings.oidc_client_secret_file.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise OidcConfigError(f"TOSHIN_OIDC_CLIENT_SECRET_FILE: {err.strerror}") from None
    if not secret:
        raise OidcConfigError(
            "TOSHIN_OIDC_CLIENT_SECRET (or TOSHIN_OIDC_CLIENT_SECRET_FILE): required when "
            "TOSHIN_OIDC_ENABLED is on"
        )
    claim = settings.oidc_username_claim.strip()
    if not claim:
        raise OidcConfigError("TOSHIN_OIDC_USERNAME_CLAIM: name the claim, e.g. email")
    domain = settings.oidc_email_domain.strip().lstrip("@").lower()
    if claim == "email" and not domain:
        raise OidcConfigError(
            "TOSHIN_OIDC_EMAIL_DOMAIN: required when the claim is email (the municipality's "
            "mail domain; the part before @ is the username)"
        )
    if "openid" not in settings.oidc_scopes.split():
        raise OidcConfigError("TOSHIN_OIDC_SCOPES: must include openid")
    return OidcConfig(
        issuer=issuer,
        client_id=settings.oidc_client_id,
        client_secret=secret,
        username_claim=claim,
        scopes=settings.oidc_scopes,
        redirect_uri=settings.oidc_redirect_uri,
        email_domain=domain,
    )


@dataclass(frozen=True)
class PendingLogin:
    """One attempt's one-time values, kept by the browser (HttpOnly cookie) until the
    callback; ``next`` is the desk page asked for, ``started`` the epoch second it began."""

    state: str
    nonce: str
    verifier: str
    next: str
    started: int


@dataclass(frozen=True)
class Identity:
    """A verified ID token: the account it names, the claim's value and the subject."""

    username: str
    claimed: str
    subject: str


def _epoch(clock: Callable[[], dt.datetime]) -> int:
    return int(clock().timestamp())


class OidcClient:
    """The desk's side of the flow against one provider; discovery and keys are cached."""

    def __init__(
        self,
        config: OidcConfig,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.transport = transport  # tests: an in-process provider
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def _client(self, redirect_uri: str) -> Any:
        return AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            token_endpoint_auth_method="client_secret_basic",
            scope=self.config.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=HTTP_TIMEOUT,
            transport=self.transport,
        )

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx2.AsyncClient(timeout=HTTP_TIMEOUT, transport=self.transport) as http:
                resp = await http.get(url)
                resp.raise_for_status()
                body = resp.json()
        except (httpx2.HTTPError, ValueError) as err:
            raise OidcUnavailable(f"oidc: {url}: {type(err).__name__}") from None
        if not isinstance(body, dict):
            raise OidcUnavailable(f"oidc: {url}: not a JSON object")
        return body

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document; its issuer must be the configured one."""
        if self._metadata is None:
            url = f"{self.config.issuer}/.well-known/openid-configuration"
            found = await self._get_json(url)
            if found.get("issuer") != self.config.issuer:
                raise OidcUnavailable("oidc: discovery names another issuer")
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(found.get(key), str):
                    raise OidcUnavailable(f"oidc: discovery lacks {key}")
            self._metadata = found
        return self._metadata

    async def _key_set(self, *, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            jwks = await self._get_json((await self.metadata())["jwks_uri"])
            try:
                self._keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
            except (JoseError, ValueError, KeyError, TypeError):
                raise OidcUnavailable("oidc: the provider's JWKS is malformed") from None
        return self._keys

    async def begin(self, redirect_uri: str, next_: str) -> tuple[str, PendingLogin]:
        """The authorization URL to send the browser to, and what to keep until it returns."""
        endpoint = (await self.metadata())["authorization_endpoint"]
        pending = PendingLogin(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(64),
            next=next_,
            started=_epoch(self.clock),
        )
        async with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                endpoint, state=pending.state, nonce=pending.nonce, code_verifier=pending.verifier
            )
        return str(url), pending

    async def finish(
        self, pending: PendingLogin, *, state: str, code: str, redirect_uri: str, max_age: int
    ) -> Identity:
        """The identity the provider's answer proves; OidcRefused naming what failed."""
        if not secrets.compare_digest(pending.state.encode(), state.encode()):
            raise OidcRefused("state: does not match this browser's login attempt")
        if _epoch(self.clock) - pending.started > max_age:
            raise OidcRefused("state: the login attempt has expired")
        if not code:
            raise OidcRefused("code: missing")
        token_endpoint = (await self.metadata())["token_endpoint"]
        try:
            async with self._client(redirect_uri) as client:
                token = await client.fetch_token(
                    token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.verifier,
                )
        except httpx2.HTTPError as err:
            raise OidcUnavailable(f"oidc: token endpoint: {type(err).__name__}") from None
        except OAuthError as err:
            raise OidcRefused(f"code: refused by the provider ({type(err).__name__})") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcRefused("id_token: missing from the token response")
        access = token.get("access_token")
        claims = await self.verify(id_token, nonce=pending.nonce, access_token=access)
        value = claims.get(self.config.username_claim)
        if not isinstance(value, str) or not value:
            raise OidcRefused(f"id_token: no {self.config.username_claim} claim")
        subject = str(claims["sub"])
        if self.config.username_claim != "email":
            return Identity(username=value, claimed=value, subject=subject)
        if claims.get("email_verified") is False:
            raise OidcRefused("id_token: the email is not verified by the provider")
        local, at, domain = value.rpartition("@")
        if not at or not local or domain.lower() != self.config.email_domain:
            raise OidcNoAccount(f"oidc: the email is not in {self.config.email_domain}")
        return Identity(username=local.lower(), claimed=value, subject=subject)

    async def verify(
        self, id_token: str, *, nonce: str, access_token: str | None = None
    ) -> dict[str, Any]:
        """The ID token's claims once its signature, issuer, audience, nonce and lifetime
        check out; OidcRefused("id_token: …") otherwise."""
        metadata = await self.metadata()
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algs = [a for a in offered if a in SIGNING_ALGS]
        registry = JWSRegistry(algorithms=algs, strict_check_header=False)
        try:
            try:
                decoded = jwt.decode(id_token, await self._key_set(), registry=registry)
            except InvalidKeyIdError:  # the provider may have rotated its keys: fetch once
                decoded = jwt.decode(id_token, await self._key_set(refresh=True), registry=registry)
        except (JoseError, ValueError) as err:
            raise OidcRefused(f"id_token: signature ({_why(err)})") from None
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self.config.issuer},
            "aud": {"essential": True, "value": self.config.client_id},
            "exp": {"essential": True},
            "nonce": {"essential": True, "value": nonce},
        }
        params = {"nonce": nonce, "client_id": self.config.client_id}
        if access_token:
            params["access_token"] = access_token
        claims = CodeIDToken(decoded.claims, decoded.header, options, params)
        try:
            claims.validate(now=_epoch(self.clock), leeway=LEEWAY_SECONDS)
        except JoseError as err:
            raise OidcRefused(f"id_token: {_why(err)}") from None
        return dict(claims)


def _why(err: Exception) -> str:
    claim = getattr(err, "claim", None)
    error = getattr(err, "error", None) or type(err).__name__
    return f"{claim} claim: {error}" if claim else str(error)


def account_for(users: UserService, identity: Identity) -> UserView:
    """The local account the identity names (``UserService.get``); OidcNoAccount when there
    is none or it is disabled. Roles are the account's own."""
    try:
        user = users.get(identity.username)
    except UnknownUser:
        raise OidcNoAccount("oidc: no account for the identity") from None
    if user.disabled:
        raise OidcNoAccount("oidc: the account is disabled")
    return user
