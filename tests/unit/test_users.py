"""Desk accounts: argon2id hashes, lockout after repeated failures, server-side sessions that
expire and are revoked, and the `starter.py user` commands (password never echoed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from edge.users import UserService
from models.accounts import UserRole, acting_role
from models.case.states import Role
from models.errors import AccountLocked, InvalidPayload, LoginRefused, UnknownUser
from persistence.tables import UserRow, WebSessionRow
from settings import Settings

PW = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url="")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def users(settings: Settings, clock: Clock) -> UserService:
    service = UserService(settings, clock=clock)
    service.add(
        username="kacho",
        display_name="保健 花子",
        roles=[UserRole.department_head],
        department="保健センター",
        password=PW,
    )
    return service


def test_the_password_is_stored_as_an_argon2id_hash(users: UserService) -> None:
    with Session(users.engine) as session:
        row = session.get(UserRow, "kacho")
    assert row is not None
    assert row.password_hash.startswith("$argon2id$")
    assert PW not in row.password_hash


def test_a_right_password_logs_in_and_a_wrong_one_is_refused(users: UserService) -> None:
    assert users.authenticate("kacho", PW).department == "保健センター"
    with pytest.raises(LoginRefused):
        users.authenticate("kacho", "wrong password!")
    with pytest.raises(LoginRefused):  # an unknown name answers the same
        users.authenticate("nobody", PW)


def test_five_failures_lock_the_account_for_fifteen_minutes(
    users: UserService, clock: Clock
) -> None:
    for _ in range(5):
        with pytest.raises(LoginRefused):
            users.authenticate("kacho", "wrong password!")
    with pytest.raises(AccountLocked):
        users.authenticate("kacho", PW)  # even the right password
    assert users.get("kacho").locked
    clock.now += dt.timedelta(minutes=15, seconds=1)
    assert users.authenticate("kacho", PW).username == "kacho"


def test_a_disabled_account_cannot_log_in_and_its_sessions_end(users: UserService) -> None:
    login = users.open_session(users.authenticate("kacho", PW))
    users.set_disabled("kacho")
    assert users.resume(login.token) is None
    with pytest.raises(LoginRefused):
        users.authenticate("kacho", PW)


def test_sessions_are_server_side_and_revoked_on_logout(users: UserService) -> None:
    login = users.open_session(users.authenticate("kacho", PW))
    with Session(users.engine) as session:
        stored = session.exec(select(WebSessionRow)).one()
    assert stored.id_hash != login.token  # only the hash is kept
    resumed = users.resume(login.token)
    assert resumed is not None and resumed.csrf_token == login.csrf_token
    users.close_session(login.token)
    assert users.resume(login.token) is None


def test_a_session_ends_when_idle_or_past_its_end(users: UserService, clock: Clock) -> None:
    login = users.open_session(users.authenticate("kacho", PW))
    clock.now += dt.timedelta(minutes=59)
    assert users.resume(login.token) is not None
    clock.now += dt.timedelta(minutes=61)
    assert users.resume(login.token) is None


def test_a_new_password_ends_open_sessions(users: UserService) -> None:
    login = users.open_session(users.authenticate("kacho", PW))
    users.set_password("kacho", "another long password")
    assert users.resume(login.token) is None
    assert users.authenticate("kacho", "another long password").username == "kacho"


@pytest.mark.parametrize(
    ("username", "roles", "department", "password", "field"),
    [
        ("kacho", [UserRole.secretariat], None, PW, "username"),
        ("Bad Name", [UserRole.secretariat], None, PW, "username"),
        ("head2", [UserRole.department_head], None, PW, "department"),
        ("sec2", [UserRole.secretariat], "保健センター", PW, "department"),
        ("sec3", [UserRole.secretariat], None, "short", "password"),
    ],
)
def test_a_bad_account_is_refused_naming_the_field(
    users: UserService,
    username: str,
    roles: list[UserRole],
    department: str | None,
    password: str,
    field: str,
) -> None:
    with pytest.raises(InvalidPayload, match=field):
        users.add(
            username=username,
            display_name="x",
            roles=roles,
            department=department,
            password=password,
        )


def test_unknown_user_for_admin_commands(users: UserService) -> None:
    with pytest.raises(UnknownUser, match="username"):
        users.set_password("nobody", PW)


def test_department_posts_act_as_the_department() -> None:
    assert acting_role(UserRole.department_head) is Role.department
    assert acting_role(UserRole.department_member) is Role.department
    assert acting_role(UserRole.secretariat) is Role.secretariat


def test_the_cli_adds_lists_and_disables_without_echoing_the_password(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import starter

    monkeypatch.setenv("TOSHIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TOSHIN_DATABASE_URL", "")
    runner = CliRunner()
    added = runner.invoke(
        starter.app,
        ["user", "add", "jimu", "--name", "事務 一郎", "--role", "secretariat", "--password-stdin"],
        input=PW + "\n",
    )
    assert added.exit_code == 0, added.output
    assert PW not in added.output
    prompted = runner.invoke(
        starter.app,
        ["user", "add", "it1", "--name", "情報 太郎", "--role", "it"],
        input=f"{PW}\n{PW}\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert PW not in prompted.output
    listed = runner.invoke(starter.app, ["user", "list", "--json"])
    assert '"jimu"' in listed.output and "argon2" not in listed.output
    assert runner.invoke(starter.app, ["user", "disable", "jimu"]).exit_code == 0
    refused = runner.invoke(
        starter.app,
        ["user", "add", "jimu", "--name", "x", "--role", "secretariat", "--password-stdin"],
        input=PW + "\n",
    )
    assert refused.exit_code == 1
    assert "username" in refused.output
    with UserService(settings).engine.connect() as conn:
        trail = conn.exec_driver_sql(
            "SELECT role, action, detail, source FROM audit_records ORDER BY seq"
        ).all()
    assert [tuple(r)[:3] for r in trail] == [  # the refused add changed nothing: no record
        ("admin", "admin_action", "user add jimu (secretariat)"),
        ("admin", "admin_action", "user add it1 (it)"),
        ("admin", "admin_action", "user disable jimu"),
    ]
    assert all(str(r[3]).startswith("cli@") for r in trail)


def test_demo_accounts_are_added_once_and_log_in(settings: Settings) -> None:
    from edge.users import ensure_demo_accounts

    service = UserService(settings)
    first = ensure_demo_accounts(service)
    ensure_demo_accounts(service)  # idempotent
    assert len(service.list()) == len(first)
    head = next(a for a in first if a.department)
    assert service.authenticate(head.username, head.password).department == head.department
