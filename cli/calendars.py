"""`starter.py calendar ...`: a department's upcoming deadlines as iCalendar (export a file,
or serve the subscription feed)."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.common import checked, console
from edge.calendars import export_feed, feed_server
from settings import Settings
from web.feed import feed_path

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
    data = checked(lambda: export_feed(Settings(), department))
    if out is None:
        sys.stdout.buffer.write(data)
        return
    out.write_bytes(data)
    console.print(f"{out}: {data.count(b'BEGIN:VEVENT')} deadlines", highlight=False)


def _exit(*_: object) -> None:
    raise SystemExit(0)


@app.command()
def serve() -> None:
    """Serve every department's feed at http://FEED_HOST:FEED_PORT/calendar/<department>.ics
    until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s feed %(levelname)s %(message)s")
    server, town = checked(lambda: feed_server(Settings()))
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
