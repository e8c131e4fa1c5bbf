"""Alembic environment: the read-model tables of ``persistence.tables``. Run programmatically
by ``persistence.migrations`` (which passes the connection, inside its transaction and lock);
with no connection given it opens the configured read model (``TOSHIN_DATABASE_URL``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine
from sqlmodel import SQLModel

import persistence.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from persistence.migrations import include_name, render_item


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER on SQLite = copy + move
        compare_type=True,
        render_item=render_item,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from settings import Settings

    engine = create_engine(Settings().read_model_url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
