"""`starter.py calendar ...`: a department's upcoming deadlines as iCalendar (export a file,
or serve the subscription feed)."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from cli.common import console, fail
from gateway import load_municipality
from models.errors import CaseError
from models.municipality import department_contacts
from persistence.database import make_engine
from settings import Settings
from web.feed import department_feed, feed_path, make_server, today_jst

app = typer.Typer(
    help="Department deadlines as iCalendar: export a file or serve the subscription feed.",
    no_args_is_help=True,
)


@app.command()
def export(
    department: Annotated[str, typer.Option(help="the department, as named in 諮問書")],
    out: Annotated[Path | None, typer.Option(help="write here (default: standard output)")] = None,
) -> None:
    """Write the department's upcoming deadlines (from today, JST) as an .ics calendar."""
    settings = Settings()
    try:
        town = load_municipality(settings.municipality_file)
        department_contacts(town, department)
        data = department_feed(_engine(settings), town, department, today_jst())
    except CaseError as err:
        raise fail(f"{err.error_type}: {err.message}") from None
    except SQLAlchemyError as exc:
        raise fail(f"read model {settings.read_model_url}: {type(exc).__name__}") from None
    if out is None:
        sys.stdout.buffer.write(data)
        return
    out.write_bytes(data)
    console.print(f"{out}: {data.count(b'BEGIN:VEVENT')} deadlines", highlight=False)


def _engine(settings: Settings) -> Engine:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(
        settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )


def _exit(*_: object) -> None:
    raise SystemExit(0)


@app.command()
def serve() -> None:
    """Serve every department's feed at http://FEED_HOST:FEED_PORT/calendar/<department>.ics
    until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s feed %(levelname)s %(message)s")
    settings = Settings()
    try:
        town = load_municipality(settings.municipality_file)
    except CaseError as err:
        raise fail(f"{err.error_type}: {err.message}") from None
    server = make_server(_engine(settings), town, settings.feed_host, settings.feed_port)
    signal.signal(signal.SIGTERM, _exit)
    host, port = server.server_address[:2]
    example = next(iter(town.departments), "<department>")
    logging.info("calendar feed on http://%s:%s%s", host, port, feed_path(example))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
