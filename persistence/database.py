"""The read-model engine: SQLite by default, any SQLAlchemy URL by setting."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import create_engine

import persistence.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from persistence.migrations import upgrade_to_head


def make_engine(url: str, *, sqlite_busy_timeout_ms: int = 5_000) -> Engine:
    """An engine on the read model, upgraded to the newest schema revision first (a no-op
    read when it is there: see persistence/migrations). SQLite gets WAL and a busy timeout.
    Statement parameters never appear in errors (they reach logs and the parked-step
    message)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # a projection can be rebuilt from the workflows: no fsync per commit in WAL mode
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={int(sqlite_busy_timeout_ms)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    else:
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    upgrade_to_head(engine)
    return engine
