"""What every CLI command shares: the edge, one-line errors, --json output."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from typer._click.exceptions import UsageError

from edge.connect import open_edge
from models.errors import CaseError, ErrorType, describe_validation_error

__all__ = [
    "checked",
    "console",
    "err_console",
    "fail",
    "fail_usage",
    "open_edge",
    "print_json",
    "run",
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
