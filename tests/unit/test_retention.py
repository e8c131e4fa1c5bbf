"""Retention without a server, on SQLite and PostgreSQL: `admin purge` removes the audit
records and case archives older than retention (a dry run only counts them), is itself
recorded, and leaves a chain that verifies from its anchor, where tampering with what remains
is still named. Times come from an injected clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from typer.testing import CliRunner

from edge.audit import AuditTrail, Who
from edge.retention import Retention, cutoff
from models.audit import AuditAction
from models.errors import InvalidPayload
from persistence.archive import write_archive
from persistence.database import make_engine
from tests.conftest import read_model_backends
from tests.keys import TEST_AUDIT_SEALER
from tests.read_models import fresh_url
from tests.unit.test_audit import KACHO, _project, lines, sql

ADMIN = Who(actor="admin", role="admin", source="cli@host")
START = dt.datetime(2014, 4, 1, 9, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)  # retention 10 years: before 2016-12-01


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture(params=read_model_backends())
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_url(request.param, tmp_path) as url:
        engine = make_engine(url, sqlite_busy_timeout_ms=10_000)
        yield engine
        engine.dispose()


def _archive(engine: Engine, case_id: str, ended: dt.datetime) -> None:
    with Session(engine) as session:
        write_archive(session, case_id=case_id, state="closed", seq=2, ended_at=ended,
                      record=b"sealed", now=ended)  # fmt: skip
        session.commit()


@pytest.fixture
def years(engine: Engine) -> tuple[AuditTrail, Retention, Clock]:
    """Records once a year from 2014 to 2026 (13, the first three past retention), an old
    closed case archived in 2015 with its rows, and a recent one."""
    clock = Clock(START)
    trail = AuditTrail(engine, TEST_AUDIT_SEALER, clock=clock)
    for year in range(2014, 2027):
        clock.at = START.replace(year=year)
        trail.record(KACHO, AuditAction.case_read, case_id=f"case-{year}")
    _project(engine, "old-case", 3)
    _archive(engine, "old-case", dt.datetime(2015, 6, 1, tzinfo=dt.UTC))
    _archive(engine, "new-case", dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    clock.at = NOW
    return trail, Retention(engine, TEST_AUDIT_SEALER, 10, clock=clock), clock


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_dry_run_counts_and_changes_nothing(years: tuple[AuditTrail, Retention, Clock]) -> None:
    trail, retention, _ = years
    counted = retention.purge(ADMIN, "年次の廃棄", dry_run=True)
    assert (counted.audit_records, counted.archives, counted.dry_run) == (3, 1, True)
    assert counted.cutoff == dt.datetime(2016, 12, 1, 9, 0, tzinfo=dt.UTC)
    assert _count(trail.engine, "audit_records") == 13
    assert _count(trail.engine, "case_archives") == 2


def test_a_purge_removes_what_is_past_retention_and_the_trail_still_verifies(
    years: tuple[AuditTrail, Retention, Clock],
) -> None:
    trail, retention, _ = years
    done = retention.purge(ADMIN, "年次の廃棄")
    assert (done.audit_records, done.archives, done.anchor_seq) == (3, 1, 3)
    engine = trail.engine
    with engine.connect() as conn:
        seqs = [r[0] for r in conn.execute(text("SELECT seq FROM audit_records ORDER BY seq"))]
        ended = [r[0] for r in conn.execute(text("SELECT case_id FROM case_archives"))]
        rows = (
            conn.execute(text("SELECT count(*) FROM cases WHERE case_id = 'old-case'")).scalar_one()
            + conn.execute(
                text("SELECT count(*) FROM case_transitions WHERE case_id = 'old-case'")
            ).scalar_one()
        )
        last = conn.execute(
            text("SELECT actor, action, detail FROM audit_records ORDER BY seq DESC LIMIT 1")
        ).one()
    assert seqs == list(range(4, 15)) and ended == ["new-case"] and rows == 0
    assert (last[0], last[1]) == ("admin", "records_purged")
    assert last[2].startswith("anchor 3 ") and "reason: 年次の廃棄" in last[2]
    report = trail.verify()
    assert report.ok, lines(trail)
    assert report.records == 11

    again = retention.purge(ADMIN, "年次の廃棄", dry_run=True)
    assert (again.audit_records, again.archives) == (0, 0)
    assert retention.purge(ADMIN, "もう一度").anchor_seq == 3  # nothing new to remove
    assert trail.verify().ok, lines(trail)


def test_after_a_purge_tampering_with_what_remains_is_still_named(
    years: tuple[AuditTrail, Retention, Clock],
) -> None:
    trail, retention, _ = years
    retention.purge(ADMIN, "年次の廃棄")
    sql(trail.engine, "UPDATE audit_records SET actor = 'someone' WHERE seq = 5")
    assert lines(trail) == ["audit record 5: edited: its fields no longer match its MAC"]
    sql(trail.engine, "UPDATE audit_records SET actor = 'kacho' WHERE seq = 5")
    sql(trail.engine, "DELETE FROM audit_records WHERE seq = 4")
    assert lines(trail) == ["audit record 4: deleted: gone from between records 3 and 5"]


def test_the_anchor_moved_by_hand_is_named(years: tuple[AuditTrail, Retention, Clock]) -> None:
    trail, retention, _ = years
    retention.purge(ADMIN, "年次の廃棄")
    with trail.engine.connect() as conn:
        mac = conn.execute(text("SELECT mac FROM audit_records WHERE seq = 6")).scalar_one()
    sql(
        trail.engine,
        f"UPDATE audit_head SET anchor_seq = 6, anchor_mac = '{mac}'",
        "DELETE FROM audit_records WHERE seq <= 6",
    )
    assert lines(trail) == [
        "audit record 1–6: deleted: the chain starts after a purge that no purge record vouches for"
    ]


def test_the_database_deletes_only_records_up_to_the_anchor(
    years: tuple[AuditTrail, Retention, Clock],
) -> None:
    trail, retention, _ = years
    with pytest.raises(DBAPIError, match="append-only"), trail.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records WHERE seq = 1"))
    retention.purge(ADMIN, "年次の廃棄")
    with pytest.raises(DBAPIError, match="append-only"), trail.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records WHERE seq = 4"))


def test_a_reason_is_required_and_the_cutoff_is_whole_years() -> None:
    with pytest.raises(InvalidPayload, match="reason: required"):
        Retention(None, TEST_AUDIT_SEALER, 10).purge(ADMIN, "  ")  # type: ignore[arg-type]
    leap = dt.datetime(2028, 2, 29, tzinfo=dt.UTC)
    assert cutoff(leap, 10) == dt.datetime(2018, 2, 28, tzinfo=dt.UTC)
    with pytest.raises(InvalidPayload, match="record_retention_years"):
        cutoff(leap, 0)


def test_the_cli_purges_as_a_signed_in_admin_and_audit_verify_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import starter
    from settings import Settings
    from tests.integration.accounts import account_token
    from tests.keys import TEST_AUDIT_KEY_ENV

    url = f"sqlite:///{tmp_path / 'read_model.db'}"
    monkeypatch.setenv("TOSHIN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TOSHIN_DATABASE_URL", url)
    monkeypatch.setenv("TOSHIN_AUDIT_KEY", TEST_AUDIT_KEY_ENV)
    monkeypatch.delenv("TOSHIN_TOKEN", raising=False)
    monkeypatch.delenv("TOSHIN_USER", raising=False)
    engine = make_engine(url)
    _archive(engine, "old-case", dt.datetime(2001, 6, 1, tzinfo=dt.UTC))
    engine.dispose()
    cli = CliRunner()

    counted = cli.invoke(starter.app, ["admin", "purge", "--reason", "年次", "--dry-run"])
    assert counted.exit_code == 0, counted.output
    assert "would remove 0 audit records and 1 case archives" in counted.output
    refused = cli.invoke(starter.app, ["admin", "purge", "--reason", "年次"])
    assert refused.exit_code == 1 and "LoginRefused" in refused.output

    monkeypatch.setenv("TOSHIN_TOKEN", account_token(Settings(database_url=url)))
    done = cli.invoke(starter.app, ["admin", "purge", "--reason", "年次", "--json"])
    assert done.exit_code == 0, done.output
    assert '"archives": 1' in done.output
    verified = cli.invoke(starter.app, ["audit", "verify"])
    assert verified.exit_code == 0 and verified.output.startswith("ok: 1 audit records")
