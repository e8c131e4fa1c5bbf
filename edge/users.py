"""Desk accounts and logins: add, change a password, disable, list; check a password (with
lockout) and hold the server-side session a login opens.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile). A
login that fails for any reason answers the same ``LoginRefused`` so a caller cannot learn
which names exist; only a locked account says so (and until when). The cookie carries a
random token; the database keeps its SHA-256. Personal API tokens (the REST API's
``Authorization: Bearer``, the CLI's ``TOSHIN_TOKEN``) are kept the same way, until revoked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from edge.audit import people_book
from models.accounts import UserRole, UserSpec, UserView
from models.errors import (
    AccountLocked,
    InvalidPayload,
    LoginRefused,
    UnknownUser,
    describe_validation_error,
)
from persistence import accounts as repo
from persistence.database import make_engine
from persistence.people import PeopleBook, Person, account_identity
from persistence.tables import ApiTokenRow, UserRow, WebSessionRow
from settings import Settings

MIN_PASSWORD = 10
TOKEN_PREFIX = "tsn_"
TOKEN_ID_LENGTH = 12  # the part of a token's hash that names it in lists and revocations
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a miss costs as long as a wrong password
    (made on first use: hashing costs tens of ms that every CLI start would otherwise pay)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidPayload(f"password: at least {MIN_PASSWORD} characters")


def view_of(row: UserRow, now: dt.datetime, display_name: str) -> UserView:
    return UserView(
        username=row.username,
        display_name=display_name,
        roles=[UserRole(r) for r in row.roles.split(",") if r],
        department=row.department,
        disabled=row.disabled,
        locked=row.locked_until is not None and repo.aware(row.locked_until) > now,
    )


@dataclass(frozen=True)
class ApiToken:
    """A personal API token as lists show it: never the token itself."""

    token_id: str
    label: str
    created_at: dt.datetime
    last_used: dt.datetime | None
    revoked: bool


def _token_view(row: ApiTokenRow) -> ApiToken:
    last = repo.aware(row.last_used) if row.last_used else None
    return ApiToken(
        token_id=row.id_hash[:TOKEN_ID_LENGTH],
        label=row.label,
        created_at=repo.aware(row.created_at),
        last_used=last,
        revoked=row.revoked,
    )


@dataclass(frozen=True)
class Login:
    """An open session: the token goes in the cookie, the CSRF token in every form."""

    token: str
    csrf_token: str
    user: UserView
    expires_at: dt.datetime


class UserService:
    """Accounts and sessions on the read model's database."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.settings = settings
        self.engine = engine or make_engine(
            settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        self.clock = clock
        self._people: PeopleBook | None = None

    @property
    def people(self) -> PeopleBook:
        """The sealed names (made on first use: key files are read only when a name is)."""
        if self._people is None:
            self._people = people_book(self.settings)
        return self._people

    def _view(self, session: Session, row: UserRow, now: dt.datetime) -> UserView:
        """The account as pages show it, its name read back from ``people``."""
        return view_of(row, now, self.people.name_of(session, row.person_ref, row.display_name))

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with Session(self.engine) as session:
            yield session
            session.commit()

    def _user(self, session: Session, username: str) -> UserRow:
        row = repo.get_user(session, username=username)
        if row is None:
            raise UnknownUser(f"username: no account named {username!r}")
        return row

    # accounts (admins)

    def add(
        self,
        *,
        username: str,
        display_name: str,
        roles: list[UserRole],
        department: str | None,
        password: str,
    ) -> UserView:
        """A new account; a name already taken is refused, naming the field."""
        try:
            spec = UserSpec(
                username=username, display_name=display_name, roles=roles, department=department
            )
        except ValidationError as err:
            raise InvalidPayload(describe_validation_error(err)) from None
        check_password(password)
        now = self.clock()
        with self._session() as session:
            if repo.get_user(session, username=spec.username) is not None:
                raise InvalidPayload(f"username: {spec.username!r} is already taken")
            ref = self.people.put(
                session,
                account_identity(spec.username),
                Person(name=spec.display_name),
                kind="account",
                now=now,
            )
            row = UserRow(
                username=spec.username,
                display_name="",
                person_ref=ref,
                roles=",".join(r.value for r in spec.roles),
                department=spec.department,
                password_hash=_hasher.hash(password),
                created_at=now,
                updated_at=now,
            )
            repo.save_user(session, row=row)
            return self._view(session, row, now)

    def set_password(self, username: str, password: str) -> UserView:
        """A new password; clears a lockout and ends the user's open sessions."""
        check_password(password)
        now = self.clock()
        with self._session() as session:
            row = self._user(session, username)
            row.password_hash = _hasher.hash(password)
            row.failed_attempts = 0
            row.locked_until = None
            row.updated_at = now
            repo.save_user(session, row=row)
            repo.revoke_web_sessions(session, username=username)
            return self._view(session, row, now)

    def set_disabled(self, username: str, disabled: bool = True) -> UserView:
        """Disable (or enable) an account; disabling ends its open sessions."""
        now = self.clock()
        with self._session() as session:
            row = self._user(session, username)
            row.disabled = disabled
            row.updated_at = now
            repo.save_user(session, row=row)
            if disabled:
                repo.revoke_web_sessions(session, username=username)
            return self._view(session, row, now)

    def list(self) -> list[UserView]:
        now = self.clock()
        with self._session() as session:
            return [self._view(session, row, now) for row in repo.list_users(session)]

    def get(self, username: str) -> UserView:
        with self._session() as session:
            return self._view(session, self._user(session, username), self.clock())

    # logins

    def authenticate(self, username: str, password: str) -> UserView:
        """The user when the password is right. Every failure counts; at the limit the
        account locks for the configured minutes (a right password does not open it)."""
        now = self.clock()
        with self._session() as session:
            row = repo.get_user(session, username=username)
            if row is None:
                self._verify(_dummy_hash(), password)
                raise LoginRefused("ユーザー名またはパスワードが正しくありません")
            if row.locked_until is not None and repo.aware(row.locked_until) > now:
                raise AccountLocked(
                    "ログインに続けて失敗したため、アカウントは一時的にロックされています"
                )
            if row.disabled or not self._verify(row.password_hash, password):
                row.failed_attempts += 1
                if row.failed_attempts >= self.settings.login_max_failures:
                    row.locked_until = now + dt.timedelta(
                        minutes=self.settings.login_lockout_minutes
                    )
                    row.failed_attempts = 0
                repo.save_user(session, row=row)
                session.commit()  # the failure counts even though we raise
                raise LoginRefused("ユーザー名またはパスワードが正しくありません")
            row.failed_attempts = 0
            row.locked_until = None
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            repo.save_user(session, row=row)
            return self._view(session, row, now)

    @staticmethod
    def _verify(password_hash: str, password: str) -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def open_session(self, user: UserView) -> Login:
        now = self.clock()
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        expires = now + dt.timedelta(hours=self.settings.desk_session_max_hours)
        with self._session() as session:
            repo.add_web_session(
                session,
                row=WebSessionRow(
                    id_hash=_token_hash(token),
                    username=user.username,
                    csrf_token=csrf,
                    created_at=now,
                    last_seen=now,
                    expires_at=expires,
                ),
            )
        return Login(token=token, csrf_token=csrf, user=user, expires_at=expires)

    def resume(self, token: str) -> Login | None:
        """The login a cookie token stands for, or None when it is unknown, revoked, past its
        end or idle too long, or its account is disabled. Touches ``last_seen``."""
        now = self.clock()
        idle = dt.timedelta(minutes=self.settings.desk_session_idle_minutes)
        with self._session() as session:
            row = repo.get_web_session(session, id_hash=_token_hash(token))
            if row is None or row.revoked:
                return None
            if repo.aware(row.expires_at) <= now or repo.aware(row.last_seen) + idle <= now:
                row.revoked = True
                repo.add_web_session(session, row=row)
                return None
            user = repo.get_user(session, username=row.username)
            if user is None or user.disabled:
                return None
            row.last_seen = now
            repo.add_web_session(session, row=row)
            return Login(
                token=token,
                csrf_token=row.csrf_token,
                user=self._view(session, user, now),
                expires_at=repo.aware(row.expires_at),
            )

    # personal API tokens

    def issue_token(self, username: str, label: str) -> tuple[str, ApiToken]:
        """A new token for the account: returned once (only its hash is kept)."""
        label = label.strip()
        if not 1 <= len(label) <= 100:
            raise InvalidPayload("label: 1–100 characters")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._session() as session:
            self._user(session, username)
            row = ApiTokenRow(
                id_hash=_token_hash(token), username=username, label=label, created_at=self.clock()
            )
            repo.add_api_token(session, row=row)
            return token, _token_view(row)

    def tokens(self, username: str) -> tuple[ApiToken, ...]:
        with self._session() as session:
            self._user(session, username)
            return tuple(_token_view(r) for r in repo.list_api_tokens(session, username=username))

    def revoke_token(self, username: str, token_id: str) -> ApiToken:
        """Revoke the account's token whose id (``tokens``) is ``token_id``."""
        with self._session() as session:
            for row in repo.list_api_tokens(
                session, username=self._user(session, username).username
            ):
                if row.id_hash[:TOKEN_ID_LENGTH] == token_id:
                    row.revoked = True
                    repo.add_api_token(session, row=row)
                    return _token_view(row)
        raise InvalidPayload(f"token_id: {username} has no token {token_id!r}")

    def by_token(self, token: str) -> UserView:
        """The account a token stands for; LoginRefused when it is unknown, revoked or its
        account is disabled (one answer for all, like a wrong password)."""
        now = self.clock()
        with self._session() as session:
            row = repo.get_api_token(session, id_hash=_token_hash(token))
            user = repo.get_user(session, username=row.username) if row else None
            if row is None or row.revoked or user is None or user.disabled:
                raise LoginRefused("token: unknown, revoked, or its account is disabled")
            row.last_used = now
            repo.add_api_token(session, row=row)
            return self._view(session, user, now)

    def close_session(self, token: str) -> None:
        """Logout: the session is revoked server-side (the cookie alone opens nothing)."""
        with self._session() as session:
            row = repo.get_web_session(session, id_hash=_token_hash(token))
            if row is not None:
                row.revoked = True
                repo.add_web_session(session, row=row)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    display_name: str
    roles: tuple[UserRole, ...]
    department: str | None = None


# `./toshin up` only: printed on the console, for a desk on loopback with demo data
HEAD = UserRole.department_head
DEMO_ACCOUNTS = (
    DemoAccount("hoken-kacho", "demo-hoken-2026", "保健 花子", (HEAD,), "保健センター"),
    DemoAccount("jimukyoku", "demo-jimu-2026", "総務 一郎", (UserRole.secretariat,)),
    DemoAccount("admin", "demo-admin-2026", "情報 管理者", (UserRole.admin,)),
    # council members: the username is the roster's member_id (config/council.example.yaml)
    DemoAccount("m1", "demo-kaicho-2026", "木村 一郎", (UserRole.chair,)),
    DemoAccount("m3", "demo-iin-2026", "鈴木 健", (UserRole.council,)),
)
DEMO_ADMIN = "admin"  # runs the demo scenarios (``./toshin up``)


def ensure_demo_accounts(users: UserService) -> list[DemoAccount]:
    """Add the demo accounts that are missing (idempotent: an existing one is left as it is,
    its password included)."""
    known = {u.username for u in users.list()}
    for demo in DEMO_ACCOUNTS:
        if demo.username not in known:
            users.add(
                username=demo.username,
                display_name=demo.display_name,
                roles=list(demo.roles),
                department=demo.department,
                password=demo.password,
            )
    return list(DEMO_ACCOUNTS)
