"""The calendar feed over HTTP, for staff to subscribe to: GET /calendar/<department>.ics.

A small threaded stdlib server, read-only over the read model; ``launcher.py`` runs it next
to the worker (``starter.py calendar serve``). Unknown department or path: 404.
"""

from __future__ import annotations

import datetime as dt
import logging
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit

from sqlalchemy import Engine

from models.municipality import MunicipalityConfig, department_contacts
from persistence.repository import upcoming_deadlines
from web.ics import build_feed

JST = dt.timezone(dt.timedelta(hours=9))
PREFIX, SUFFIX = "/calendar/", ".ics"
log = logging.getLogger("toshin.feed")


def today_jst() -> dt.date:
    return dt.datetime.now(JST).date()


def feed_path(department: str) -> str:
    return f"{PREFIX}{quote(department, safe='')}{SUFFIX}"


def department_feed(
    engine: Engine, town: MunicipalityConfig, department: str, from_date: dt.date
) -> bytes:
    """The department's upcoming deadlines as iCalendar bytes; ``UnknownDepartment`` when the
    municipality directory has no such department."""
    department_contacts(town, department)
    rows = upcoming_deadlines(engine, department, from_date)
    return build_feed(
        rows, municipality=town.name, department=department, link_base=town.mail_link_base
    )


def make_server(
    engine: Engine, town: MunicipalityConfig, host: str, port: int
) -> ThreadingHTTPServer:
    """A server (not yet serving) on ``host:port``; port 0 picks a free one."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "toshin-feed"

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if not (path.startswith(PREFIX) and path.endswith(SUFFIX)):
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
                return
            department = unquote(path[len(PREFIX) : -len(SUFFIX)])
            if department not in town.departments:
                body = f"unknown department: {department}\n".encode()
                self._send(HTTPStatus.NOT_FOUND, body, "text/plain; charset=utf-8")
                return
            body = department_feed(engine, town, department, today_jst())
            self._send(HTTPStatus.OK, body, "text/calendar; charset=utf-8")

        def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            log.info("%s %s", self.address_string(), format % args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
