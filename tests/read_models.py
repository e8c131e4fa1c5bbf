"""A fresh, empty read-model database per test: a SQLite file, or a schema of its own in the
shared PostgreSQL `test` database (dropped afterwards)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, text

from tests.conftest import PG_URL


@contextmanager
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / f'rm-{uuid.uuid4().hex[:8]}.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def drop_append_only_guards(conn: Connection) -> None:
    """What someone with the database owner's rights can do before tampering with the audit
    trail (migration 0004 guards it with triggers): the MAC chain must still show it."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP TRIGGER IF EXISTS audit_records_append_only ON audit_records"))
    else:
        for verb in ("update", "delete"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS audit_records_no_{verb}"))
