"""Shared fixtures. Integration tests run against a real Temporal dev server from the venv."""

from __future__ import annotations

import datetime as dt
import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# How long an ephemeral Temporal server may take to answer. The SDK's 5 s default is missed
# on a loaded 2-core machine when several servers start at once (the benches' smoke runs
# each start one beside the tests' own).
SERVER_STARTUP = dt.timedelta(seconds=60)
PG_URL = os.environ.get("TOSHIN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            pass
    except OSError:
        return False
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception:
        return False
    return True


PG_AVAILABLE = postgres_reachable()


def pytest_report_header() -> str:
    if PG_AVAILABLE:
        return f"read model: SQLite and PostgreSQL ({PG_URL})"
    return "read model: SQLite only — PostgreSQL on 127.0.0.1:5432 is not reachable"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    pngs = ROOT / "var" / "test-artifacts" / "documents"
    if pngs.is_dir() and any(pngs.glob("*.png")):
        terminalreporter.write_line(f"documents: first pages as PNG in {pngs}")
    if not PG_AVAILABLE:
        terminalreporter.write_line(
            "NOTE: PostgreSQL (127.0.0.1:5432, database test) was not reachable: the read-model "
            "tests ran on SQLite only; the PostgreSQL variants were not run.",
            yellow=True,
        )


def read_model_backends() -> list[str]:
    return ["sqlite", "postgres"] if PG_AVAILABLE else ["sqlite"]
