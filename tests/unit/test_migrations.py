"""The read model's Alembic migrations: a database at the first revision, with rows in it,
reaches head with its rows; one made by the old create_all is adopted; a second upgrade does
nothing; and the tables of persistence/tables.py equal what the migrations build."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata, produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlmodel import SQLModel

import launcher
import persistence.tables  # noqa: F401
from activities.projection import ProjectionActivities
from models.projection import SessionProjectionInput
from persistence.migrations import (
    BASELINE,
    BASELINE_TABLES,
    UnknownRevision,
    alembic_config,
    head,
    include_name,
    render_item,
    upgrade_to_head,
)
from persistence.repository import list_sessions
from settings import Settings
from tests.conftest import read_model_backends
from tests.read_models import fresh_url
from tests.unit.test_council import record

NEW_TABLES = {"councils", "sessions", "session_items", "users", "web_sessions"}
NEW_TABLES |= {"audit_records", "audit_head"}  # 0004_audit_trail
NEW_TABLES |= {"api_tokens"}  # 0007_api_tokens
NEW_TABLES |= {"people"}  # 0008_people
NEW_TABLES |= {"feed_tokens"}  # 0011_feed_tokens
NEW_TABLES |= {"case_archives"}  # 0010_case_archives
NEW_TABLES |= {"precedents"}  # 0012_precedents
AT = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=read_model_backends())
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> set[str]:
    return {t for t in inspect(engine).get_table_names() if include_name(t, "table", {})}


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _fill(engine: Engine) -> None:
    """One row in every table of the baseline."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO cases (case_id, external_ref, title, kind, category, department,"
                " state, fiscal_year, seq, updated_at) VALUES ('c-001', 'R8-1', '住民票の写し',"
                " 'new', 'consultation', '市民課', 'active', 2026, 3, :at)"
            ),
            {"at": AT},
        )
        conn.execute(
            text(
                'INSERT INTO case_transitions (case_id, seq, "trigger", source, dest,'
                ' actor_role, actor_name, at, "on") VALUES'
                " ('c-001', 1, NULL, NULL, 'draft', 'department', '担当', :at, :on)"
            ),
            {"at": AT, "on": AT.date()},
        )
        conn.execute(
            text("INSERT INTO reminders VALUES ('s-1', 'notice', :on, :at)"),
            {"at": AT, "on": AT.date()},
        )
        conn.execute(
            text(
                "INSERT INTO outbox (key, message_id, recipients, subject, state, attempts,"
                " updated_at) VALUES ('k1', '<m1@toshin>', 'a@example.jp', '期限', 'sent', 1, :at)"
            ),
            {"at": AT},
        )
        conn.execute(
            text(
                "INSERT INTO deadlines (case_id, key, department, case_number, title, what,"
                " due_on, status, updated_at) VALUES ('c-001', 'materials', '市民課', '第1号',"
                " '住民票の写し', '資料送付', :on, 'open', :at)"
            ),
            {"at": AT, "on": AT.date()},
        )
        conn.execute(
            text(
                "INSERT INTO documents (id, subject, subject_id, doc_type, format, data_version,"
                " sha256, path, size, template, generated_at) VALUES ('d1', 'case', 'c-001',"
                " 'consultation', 'pdf', '3', 'ab', 'documents/c-001.pdf', 10, 't.html', :at)"
            ),
            {"at": AT},
        )


def _assert_filled(engine: Engine) -> None:
    with engine.connect() as conn:
        for table in sorted(BASELINE_TABLES):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1, table
        assert conn.execute(text("SELECT title, seq FROM cases")).one() == ("住民票の写し", 3)


def _upgrade_to(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def test_a_database_at_the_first_revision_keeps_its_rows_at_head(url: str, engine: Engine) -> None:
    _upgrade_to(engine, BASELINE)
    assert _revision(engine) == BASELINE
    assert _tables(engine) == BASELINE_TABLES | {"alembic_version"}
    _fill(engine)

    done = upgrade_to_head(url)

    assert (done.before, done.after, done.legacy, done.changed) == (BASELINE, head(), False, True)
    assert _tables(engine) == BASELINE_TABLES | NEW_TABLES | {"alembic_version"}
    _assert_filled(engine)
    # the new tables take rows
    ProjectionActivities(engine).project_session(SessionProjectionInput(record=record(), version=1))
    assert [row.session_id for row in list_sessions(engine)] == ["niiza-2030-3"]


def test_a_database_made_by_create_all_is_stamped_and_upgraded(url: str, engine: Engine) -> None:
    old = [SQLModel.metadata.tables[name] for name in sorted(BASELINE_TABLES)]
    SQLModel.metadata.create_all(engine, tables=old)  # what make_engine did before migrations
    _fill(engine)
    assert _revision(engine) is None

    done = upgrade_to_head(url)

    assert (done.before, done.after, done.legacy) == (None, head(), True)
    assert _tables(engine) >= NEW_TABLES
    _assert_filled(engine)
    assert upgrade_to_head(url).changed is False


def test_an_older_partial_database_gets_its_missing_tables(url: str, engine: Engine) -> None:
    cases = SQLModel.metadata.tables["cases"]
    SQLModel.metadata.create_all(engine, tables=[cases])
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO cases (case_id, title, kind, category, department, state,"
                " fiscal_year, seq, updated_at) VALUES ('c-9', 't', 'new', 'report', '市民課',"
                " 'draft', 2026, 1, :at)"
            ),
            {"at": AT},
        )

    done = upgrade_to_head(url)

    assert (done.before, done.after, done.legacy) == (None, head(), True)
    assert _tables(engine) == BASELINE_TABLES | NEW_TABLES | {"alembic_version"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT case_id FROM cases")).scalars().all() == ["c-9"]


def test_upgrading_twice_changes_nothing_and_an_empty_database_gets_every_table(
    url: str, engine: Engine
) -> None:
    first = upgrade_to_head(url)
    assert (first.before, first.after, first.legacy) == (None, head(), False)
    again = upgrade_to_head(engine)
    assert (again.before, again.after, again.changed) == (head(), head(), False)
    assert _tables(engine) == set(SQLModel.metadata.tables) | {"alembic_version"}


def test_the_tables_of_the_models_equal_the_migrations(url: str, engine: Engine) -> None:
    """A table or column added to persistence/tables.py without a revision fails here."""
    upgrade_to_head(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        assert compare_metadata(context, SQLModel.metadata) == []


def test_a_revision_this_code_does_not_know_is_refused(url: str, engine: Engine) -> None:
    upgrade_to_head(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    with pytest.raises(UnknownRevision, match="0099_from_the_future"):
        upgrade_to_head(url)


def test_downgrade_to_the_first_revision_drops_only_the_new_tables(
    url: str, engine: Engine
) -> None:
    upgrade_to_head(url)
    _fill(engine)
    _upgrade_to(engine, "head")
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), BASELINE)
    assert _tables(engine) == BASELINE_TABLES | {"alembic_version"}
    _assert_filled(engine)


def test_toshin_up_upgrades_the_read_model_a_user_already_has(tmp_path: Path) -> None:
    """`./toshin up` on a data folder from before migrations: the cases are still there."""
    settings = Settings(data_dir=tmp_path, database_url="")
    old_engine = create_engine(settings.read_model_url)
    old = [SQLModel.metadata.tables[name] for name in sorted(BASELINE_TABLES)]
    SQLModel.metadata.create_all(old_engine, tables=old)
    _fill(old_engine)

    assert launcher.upgrade_read_model(settings) == head()

    _assert_filled(old_engine)
    assert _revision(old_engine) == head()
    old_engine.dispose()


def test_workers_starting_at_once_upgrade_an_empty_database_once(url: str) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(pool.map(lambda _: upgrade_to_head(url), range(4)))
    assert [d.before for d in done].count(None) == 1  # the others found it done
    assert {d.after for d in done} == {head()}


def test_autogenerated_revisions_use_plain_sqlalchemy_types() -> None:
    """What `python -m persistence.migrations revision` writes runs without sqlmodel."""
    empty = create_engine("sqlite://")
    with empty.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_item": render_item}
        )
        code = render_python_code(
            produce_migrations(context, SQLModel.metadata).upgrade_ops, render_item=render_item
        )
    assert "sqlmodel" not in code
    assert "sa.Column('case_id', sa.String(length=32), nullable=False)" in code
    assert "sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False)" in code
    assert "sa.Column('path', sa.String(), nullable=False)" in code
