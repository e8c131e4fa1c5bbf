"""What every CLI command shares: the edge, the signed-in user, one-line errors, --json output.

The CLI acts as a registered account (``starter.py user add``), proven on every command that
acts: ``TOSHIN_TOKEN`` (a personal token from ``starter.py user token NAME``), or
``TOSHIN_USER`` with ``TOSHIN_PASSWORD`` (typed at a hidden prompt when it is not set and a
terminal is attached). Wrong credentials count towards the account's lockout like the desk's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from typer._click.exceptions import UsageError

from edge.connect import open_edge
from edge.users import UserService
from models.accounts import UserView
from models.errors import CaseError, ErrorType, LoginRefused, describe_validation_error
from settings import Settings

__all__ = [
    "checked",
    "console",
    "err_console",
    "fail",
    "fail_usage",
    "open_edge",
    "print_json",
    "run",
    "signed_in",
]

T = TypeVar("T")

_WIDTH = None if sys.stdout.isatty() else 160
console = Console(width=_WIDTH)
err_console = Console(stderr=True, width=_WIDTH)


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def fail_usage(exc: UsageError) -> int:
    """A bad option, argument or command, as one InvalidPayload line (not Click's usage box);
    the exit code of every other bad input. Returns the exit code."""
    command = f" (see {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
    message = exc.format_message().replace("Value error, ", "")
    fail(f"{ErrorType.InvalidPayload}: {message}{command}")
    return 1


def run(work: Callable[[], Awaitable[T]]) -> T:
    """Run async CLI work; a domain error becomes one red line and exit code 1."""
    try:
        return asyncio.run(work())  # type: ignore[arg-type]
    except CaseError as err:
        raise fail(f"{err.error_type}: {err.message}") from None
    except ValidationError as exc:  # a request the CLI built from bad option values
        raise fail(f"{ErrorType.InvalidPayload}: {describe_validation_error(exc)}") from None


def checked(work: Callable[[], T]) -> T:
    """Run sync CLI work; a domain error becomes one red line and exit code 1."""
    try:
        return work()
    except CaseError as err:
        raise fail(f"{err.error_type}: {err.message}") from None
    except ValidationError as exc:
        raise fail(f"{ErrorType.InvalidPayload}: {describe_validation_error(exc)}") from None


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value)}")


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, default=_default, ensure_ascii=False, indent=2))


def signed_in(settings: Settings) -> UserView:
    """The account the CLI acts as; LoginRefused (one line, exit 1) when it is not proven."""
    users = UserService(settings)
    try:
        token = settings.token.get_secret_value()
        if token:
            return users.by_token(token)
        if not settings.user:
            raise LoginRefused(
                "TOSHIN_USER: the CLI acts as a registered account: set TOSHIN_TOKEN (from "
                "`starter.py user token NAME`) or TOSHIN_USER and TOSHIN_PASSWORD"
            )
        password = settings.password.get_secret_value()
        if not password and sys.stdin.isatty():
            password = getpass.getpass(f"password for {settings.user}: ")
        return users.authenticate(settings.user, password)
    finally:
        users.engine.dispose()
