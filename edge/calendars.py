"""A department's upcoming deadlines as iCalendar, from the read model: one export, or the
subscription feed server (``web.feed``)."""

from __future__ import annotations

from http.server import ThreadingHTTPServer

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from edge.loaders import load_municipality
from models.errors import CaseError
from models.municipality import MunicipalityConfig, department_contacts
from persistence.database import make_engine
from settings import Settings
from web.feed import department_feed, make_server, today_jst


def read_model(settings: Settings) -> Engine:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(
        settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )


def export_feed(settings: Settings, department: str) -> bytes:
    """The department's deadlines from today (JST); UnknownDepartment for one the directory
    lacks, CaseError when the read model cannot be read."""
    town = load_municipality(settings.municipality_file)
    department_contacts(town, department)
    try:
        return department_feed(read_model(settings), town, department, today_jst())
    except SQLAlchemyError as exc:
        raise CaseError(f"read model {settings.read_model_url}: {type(exc).__name__}") from None


def feed_server(settings: Settings) -> tuple[ThreadingHTTPServer, MunicipalityConfig]:
    """The feed server on FEED_HOST:FEED_PORT, and the municipality it serves."""
    town = load_municipality(settings.municipality_file)
    return make_server(read_model(settings), town, settings.feed_host, settings.feed_port), town
