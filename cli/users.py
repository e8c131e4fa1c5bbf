"""`starter.py user ...`: desk accounts for admins. Passwords are read from a prompt (not
echoed) or from standard input with --password-stdin; never from an argument."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from cli.common import checked, console, err_console, fail, print_json
from edge.audit import record_cli_action
from edge.users import UserService
from models.accounts import USER_ROLE_LABELS, UserRole
from settings import Settings

app = typer.Typer(
    help="Accounts: add, passwd, disable, list; personal API tokens.",
    no_args_is_help=True,
)

StdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first: str = typer.prompt("password", hide_input=True)
    again: str = typer.prompt("password (again)", hide_input=True)
    if first != again:
        raise fail("password: the two entries differ")
    return first


@app.command()
def add(
    username: str,
    display_name: Annotated[str, typer.Option("--name", help="the name pages show")],
    role: Annotated[list[UserRole], typer.Option(help="repeat for several roles")],
    department: Annotated[
        str | None, typer.Option(help="department members and heads: their department")
    ] = None,
    password_stdin: StdinOpt = False,
) -> None:
    """Add an account."""
    password = _password(password_stdin)
    user = checked(
        lambda: UserService(Settings()).add(
            username=username,
            display_name=display_name,
            roles=role,
            department=department,
            password=password,
        )
    )
    roles = ",".join(user.roles)
    checked(lambda: record_cli_action(Settings(), f"user add {user.username} ({roles})"))
    console.print(f"added {user.username} ({', '.join(user.roles)})", highlight=False)


@app.command()
def passwd(username: str, password_stdin: StdinOpt = False) -> None:
    """Set a new password (clears a lockout, ends the account's open sessions)."""
    password = _password(password_stdin)
    checked(lambda: UserService(Settings()).set_password(username, password))
    checked(lambda: record_cli_action(Settings(), f"user passwd {username}"))
    console.print(f"password changed for {username}", highlight=False)


@app.command()
def disable(
    username: str,
    enable: Annotated[bool, typer.Option("--enable", help="enable it again instead")] = False,
) -> None:
    """Disable an account (its open sessions end at once)."""
    user = checked(lambda: UserService(Settings()).set_disabled(username, not enable))
    change = "disable" if user.disabled else "enable"
    checked(lambda: record_cli_action(Settings(), f"user {change} {username}"))
    console.print(f"{user.username} {'disabled' if user.disabled else 'enabled'}")


@app.command(name="list")
def list_(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every account (never a password hash)."""
    users = checked(lambda: UserService(Settings()).list())
    if as_json:
        print_json(users)
        return
    table = Table(title=f"accounts ({len(users)})")
    for col in ("user", "name", "roles", "department", "status"):
        table.add_column(col)
    for u in users:
        status = "disabled" if u.disabled else "locked" if u.locked else "active"
        roles = ", ".join(f"{r} ({USER_ROLE_LABELS[r]})" for r in u.roles)
        table.add_row(u.username, u.display_name, roles, u.department or "", status)
    console.print(table)


@app.command()
def token(
    username: str,
    label: Annotated[str, typer.Option(help="what the token is for")] = "API",
) -> None:
    """Issue a personal API token (shown once; only its hash is kept). Use it as
    `Authorization: Bearer <token>` on /api/v1 or as TOSHIN_TOKEN for the CLI."""
    secret, issued = checked(lambda: UserService(Settings()).issue_token(username, label))
    checked(lambda: record_cli_action(Settings(), f"user token {username} ({issued.token_id})"))
    err_console.print(f"token {issued.token_id} for {username} ({issued.label}):", highlight=False)
    typer.echo(secret)


@app.command()
def tokens(username: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The account's API tokens (ids and labels; never the tokens)."""
    listed = checked(lambda: UserService(Settings()).tokens(username))
    if as_json:
        print_json([t.__dict__ for t in listed])
        return
    table = Table(title=f"tokens of {username} ({len(listed)})")
    for col in ("id", "label", "created", "last used", "status"):
        table.add_column(col)
    for t in listed:
        last = t.last_used.isoformat(timespec="seconds") if t.last_used else ""
        status = "revoked" if t.revoked else "active"
        created = t.created_at.isoformat(timespec="seconds")
        table.add_row(t.token_id, t.label, created, last, status)
    console.print(table)


@app.command("revoke-token")
def revoke_token(username: str, token_id: str) -> None:
    """Revoke one of the account's API tokens (by the id `user tokens` shows)."""
    checked(lambda: UserService(Settings()).revoke_token(username, token_id))
    checked(lambda: record_cli_action(Settings(), f"user revoke-token {username} ({token_id})"))
    console.print(f"token {token_id} of {username} revoked", highlight=False)
