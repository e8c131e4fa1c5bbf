"""The audit trail without a server, on SQLite and PostgreSQL: records chain and verify; an
edited, deleted or reordered record, a cut-off tail, an edited or missing transition row and a
replaced document file are each named by `verify`; concurrent writers keep one chain; the
export covers the asked days; the key file is created 0600 and shared."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import stat
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from typer.testing import CliRunner

import launcher
from edge.audit import AuditKeyError, AuditTrail, Who, ensure_audit_key, load_audit_key
from models.audit import AuditAction, Tampering
from models.case.record import Actor, TransitionRecord
from models.case.states import CaseState, Role, Trigger
from models.errors import InvalidPayload
from models.projection import CaseSummary
from persistence.database import make_engine
from persistence.people import PeopleBook
from persistence.repository import project_transition
from persistence.seal import Sealer
from persistence.tables import DocumentRow
from settings import Settings
from tests.conftest import read_model_backends
from tests.keys import TEST_AUDIT_SEALER
from tests.read_models import drop_append_only_guards, fresh_url

KACHO = Who(actor="kacho", role="department_head", source="192.0.2.10")
T0 = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)


@pytest.fixture(params=read_model_backends())
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_url(request.param, tmp_path) as url:
        engine = make_engine(url, sqlite_busy_timeout_ms=10_000)
        yield engine
        engine.dispose()


def ticking() -> Callable[[], dt.datetime]:
    """A clock one minute later on every call, from 2026-12-01 00:01 UTC."""
    minutes = itertools.count(1)
    return lambda: T0 + dt.timedelta(minutes=next(minutes))


@pytest.fixture
def trail(engine: Engine, tmp_path: Path) -> AuditTrail:
    return AuditTrail(engine, TEST_AUDIT_SEALER, documents_dir=tmp_path, clock=ticking())


def fill(trail: AuditTrail, n: int) -> None:
    for i in range(n):
        trail.record(KACHO, AuditAction.case_read, case_id=f"case-{i + 1}")


def sql(engine: Engine, *statements: str) -> None:
    """Tamper, as the database's owner could."""
    with engine.begin() as conn:
        drop_append_only_guards(conn)
        for statement in statements:
            conn.execute(text(statement))


def lines(trail: AuditTrail) -> list[str]:
    return [f.line() for f in trail.verify().findings]


def test_an_untouched_trail_verifies(trail: AuditTrail) -> None:
    fill(trail, 5)
    report = trail.verify()
    assert report.ok and report.records == 5 and report.first is None


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_records SET actor = 'x'", "DELETE FROM audit_records"]
)
def test_the_database_refuses_to_change_a_record(trail: AuditTrail, statement: str) -> None:
    fill(trail, 2)
    with (
        pytest.raises(DBAPIError, match="audit_records is append-only"),
        trail.engine.begin() as conn,
    ):
        conn.execute(text(statement))
    assert trail.verify().ok and trail.verify().records == 2


def test_an_edited_record_is_named(trail: AuditTrail) -> None:
    fill(trail, 5)
    sql(trail.engine, "UPDATE audit_records SET actor = 'someone-else' WHERE seq = 3")
    report = trail.verify()
    assert report.first is not None
    assert report.first.where == "audit record 3" and report.first.kind is Tampering.edited
    assert len(report.findings) == 1  # the records after it still link to it


def test_a_deleted_record_is_named(trail: AuditTrail) -> None:
    fill(trail, 5)
    sql(trail.engine, "DELETE FROM audit_records WHERE seq = 2")
    assert lines(trail) == [
        "audit record 2: deleted: gone from between records 1 and 3",
    ]


def test_two_reordered_records_are_named(trail: AuditTrail) -> None:
    fill(trail, 6)
    sql(
        trail.engine,
        "UPDATE audit_records SET seq = -1 WHERE seq = 3",
        "UPDATE audit_records SET seq = 3 WHERE seq = 5",
        "UPDATE audit_records SET seq = 5 WHERE seq = -1",
    )
    assert lines(trail) == [  # the old 5 followed 4, the old 3 followed 2, …
        "audit record 3: reordered: it belongs after record 4, not after record 2",
        "audit record 4: reordered: it belongs after record 5, not after record 3",
        "audit record 5: reordered: it belongs after record 2, not after record 4",
        "audit record 6: reordered: it belongs after record 3, not after record 5",
    ]


def test_a_cut_off_tail_is_named(trail: AuditTrail) -> None:
    fill(trail, 4)
    sql(trail.engine, "DELETE FROM audit_records WHERE seq >= 3")
    assert lines(trail) == [
        "audit record 3–4: deleted: the chain's head is at record 4: the newest records are gone"
    ]


def test_a_forged_record_without_the_key_is_named(trail: AuditTrail, engine: Engine) -> None:
    fill(trail, 2)
    forger = AuditTrail(engine, Sealer(hashlib.sha256(b"guess").digest()), clock=ticking())
    forger.record(KACHO, AuditAction.login)
    assert lines(trail) == ["audit record 3: edited: its fields no longer match its MAC"]


def test_two_writers_at_once_keep_one_chain(trail: AuditTrail) -> None:
    def write(who: str) -> None:
        for i in range(40):
            trail.record(Who(who, "admin", "127.0.0.1"), AuditAction.case_read, case_id=str(i))

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(write, ["desk-1", "desk-2"]))
    report = trail.verify()
    assert report.ok and report.records == 80
    with trail.engine.connect() as conn:
        seqs = [r[0] for r in conn.execute(text("SELECT seq FROM audit_records ORDER BY seq"))]
    assert seqs == list(range(1, 81))


def _transition(seq: int, trigger: Trigger | None, dest: CaseState) -> TransitionRecord:
    return TransitionRecord(
        seq=seq,
        trigger=trigger,
        source=None if trigger is None else CaseState.draft,
        dest=dest,
        actor=Actor(role=Role.department, name="山田"),
        at=T0 + dt.timedelta(hours=seq),
        on=dt.date(2026, 12, 1),
    )


def _project(
    engine: Engine,
    case_id: str,
    seqs: int,
    sealer: Sealer | None = TEST_AUDIT_SEALER,
    people: PeopleBook | None = None,
) -> None:
    summary = CaseSummary(
        case_id=case_id, external_ref=None, title="件名", kind="outsourcing",
        category="consultation", department="保健センター", state="triage",
        fiscal_year=2026, seq=seqs - 1, next_deadline=None, next_deadline_what=None,
        parent_case=None,
    )  # fmt: skip
    with Session(engine) as session:
        for seq in range(seqs):
            record = _transition(seq, None if seq == 0 else Trigger.submit, CaseState.triage)
            project_transition(
                session, summary=summary, transition=record, now=T0, sealer=sealer, people=people
            )
        session.commit()


def test_an_edited_transition_row_is_named(trail: AuditTrail) -> None:
    _project(trail.engine, "case-a", 3)
    assert trail.verify().ok and trail.verify().transitions == 3
    sql(trail.engine, "UPDATE case_transitions SET actor_name = '別人' WHERE seq = 1")
    assert lines(trail) == ["transition case-a #1: edited: its fields no longer match its MAC"]


def test_a_deleted_or_unsigned_transition_row_is_named(trail: AuditTrail) -> None:
    _project(trail.engine, "case-a", 4)
    sql(
        trail.engine,
        "DELETE FROM case_transitions WHERE seq = 1",
        "UPDATE case_transitions SET mac = NULL WHERE seq = 2",
        "DELETE FROM case_transitions WHERE seq = 3",
    )
    assert lines(trail) == [
        "transition case-a #1: deleted: missing from the case's log (deleted, or its "
        "projection skipped)",
        "transition case-a #2: unsigned: the row has no MAC",
        "transition case-a #3: deleted: the case is at #3 but its log ends before",
    ]


def test_rows_from_before_the_audit_trail_are_adopted_once_then_guarded(
    trail: AuditTrail,
) -> None:
    _project(trail.engine, "case-old", 2, sealer=None)
    assert [f.kind for f in trail.verify().findings] == [Tampering.unsigned] * 2
    assert trail.adopt_unsigned_transitions(KACHO) == 2
    report = trail.verify()
    assert report.ok and report.records == 1  # the adoption is on the record
    assert trail.adopt_unsigned_transitions(KACHO) == 0
    sql(trail.engine, "UPDATE case_transitions SET reason = 'x' WHERE seq = 0")
    assert lines(trail) == ["transition case-old #0: edited: its fields no longer match its MAC"]


def test_a_replaced_or_missing_document_file_is_named(trail: AuditTrail, tmp_path: Path) -> None:
    pdf = tmp_path / "answer.pdf"
    pdf.write_bytes(b"%PDF-1.7 the answer")
    with Session(trail.engine) as session:
        for doc_id, path in (("doc-1", pdf), ("doc-2", tmp_path / "gone.pdf")):
            session.add(
                DocumentRow(
                    id=doc_id, subject="case", subject_id="case-a", doc_type="toshinsho",
                    format="pdf", data_version=doc_id, path=str(path), size=19,
                    sha256=hashlib.sha256(b"%PDF-1.7 the answer").hexdigest(),
                    template="toshinsho", generated_at=T0,
                )
            )  # fmt: skip
        session.commit()
    (tmp_path / "gone.pdf").write_bytes(b"%PDF-1.7 the answer")
    assert trail.verify().ok
    pdf.write_bytes(b"%PDF-1.7 a different answer")
    (tmp_path / "gone.pdf").unlink()
    assert lines(trail) == [
        f"document doc-1: file_replaced: {pdf} does not hash to its stored SHA-256",
        f"document doc-2: file_missing: {tmp_path / 'gone.pdf'} is gone",
    ]


def test_the_export_has_the_asked_days_in_utc_and_japan_time(trail: AuditTrail) -> None:
    fill(trail, 3)  # 00:01, 00:02, 00:03 UTC on 2026-12-01 = 09:0x in Japan on 12-01
    text_ = trail.export_csv(dt.date(2026, 12, 1), dt.date(2026, 12, 1))
    rows = text_.lstrip("\ufeff").splitlines()
    assert rows[0].startswith("連番,日時(UTC),日時(日本時間),利用者,役割,操作")
    assert rows[1] == (
        "1,2026-12-01T00:01:00.000000+00:00,2026-12-01T09:01:00+09:00,kacho,department_head,"
        "案件の閲覧,case_read,case-1,,192.0.2.10"
    )
    assert len(rows) == 4
    assert trail.export_csv(dt.date(2026, 11, 30), dt.date(2026, 11, 30)).count("\n") == 1
    trail.record(KACHO, AuditAction.case_act_refused, case_id="case-1",
                 detail='=HYPERLINK("http://x"): not now')  # fmt: skip
    last = trail.export_csv(dt.date(2026, 12, 1), dt.date(2026, 12, 1)).splitlines()[-1]
    assert ',"\'=HYPERLINK(""http://x""): not now",' in last  # text, not a formula
    with pytest.raises(InvalidPayload, match=r"^to: 2026-11-30 is before from \(2026-12-01\)"):
        trail.export_csv(dt.date(2026, 12, 1), dt.date(2026, 11, 30))


def test_the_key_file_is_made_0600_once_and_shared(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = ensure_audit_key(settings)
    path = tmp_path / "keys" / "audit.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert ensure_audit_key(settings) == first == load_audit_key(settings)


def test_a_missing_or_malformed_key_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AuditKeyError, match=r"no audit key at .*audit\.key"):
        load_audit_key(Settings(data_dir=tmp_path))
    short = base64.b64encode(b"too short").decode()
    with pytest.raises(AuditKeyError, match="TOSHIN_AUDIT_KEY: the key is 9 bytes, not 32"):
        load_audit_key(Settings(data_dir=tmp_path, audit_key=SecretStr(short)))


def test_keys_init_makes_the_audit_key_beside_the_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import starter

    monkeypatch.setenv("TOSHIN_DATA_DIR", str(tmp_path))
    for name in ("TOSHIN_KEYRING", "TOSHIN_AUDIT_KEY", "TOSHIN_CASE_ID_KEY"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(starter.app, ["keys", "init"])
    assert result.exit_code == 0, result.output
    for name in ("keyring.json", "audit.key", "case_id.key"):
        assert stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode) == 0o600
    assert f"audit key {tmp_path / 'keys' / 'audit.key'}" in " ".join(result.output.split())


def test_the_embedded_ui_asks_the_desks_codec() -> None:
    assert launcher.codec_endpoint(Settings(desk_port=8000)) == "http://127.0.0.1:8000/codec/"
    assert launcher.codec_endpoint(Settings(desk_host="0.0.0.0", desk_port=9000)) == (
        "http://127.0.0.1:9000/codec/"
    )
    assert Settings(ui_port=8233).codec_origin == "http://127.0.0.1:8233"
