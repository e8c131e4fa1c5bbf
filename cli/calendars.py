"""`starter.py calendar export`: a department's upcoming deadlines as an iCalendar file. (The
subscription feed is each user's secret URL on the desk: its カレンダー page.)"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.common import checked, console
from edge.calendars import export_feed
from settings import Settings

app = typer.Typer(
    help="Department deadlines as an iCalendar file (feeds to subscribe to are on the desk).",
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
