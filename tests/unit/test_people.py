"""The people table without a server, on SQLite and PostgreSQL: names are sealed and come back
only through the book; a transition row names its actor by ref under a MAC that covers it; a
database from before the table has its plain names moved and blanked once, an edited row
excepted (it stays reported)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from edge.audit import AuditTrail
from models.audit import Tampering
from models.errors import CaseError
from persistence.database import make_engine
from persistence.people import PeopleBook, Person, account_identity, adopt_plain_names
from persistence.tables import PersonRow, UserRow
from tests.conftest import read_model_backends
from tests.keys import TEST_AUDIT_SEALER, TEST_KEYRING
from tests.read_models import fresh_url
from tests.unit.test_audit import T0, _project, sql

NAME = "山田太郎"


@pytest.fixture(params=read_model_backends())
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_url(request.param, tmp_path) as url:
        engine = make_engine(url, sqlite_busy_timeout_ms=10_000)
        yield engine
        engine.dispose()


@pytest.fixture
def book() -> PeopleBook:
    return PeopleBook(TEST_KEYRING, TEST_AUDIT_SEALER)


def _user(engine: Engine, username: str, display_name: str) -> None:
    with Session(engine) as session:
        session.add(
            UserRow(
                username=username, display_name=display_name, roles="department_head",
                department="保健センター", password_hash="x", created_at=T0, updated_at=T0,
            )
        )  # fmt: skip
        session.commit()


def test_a_person_is_sealed_under_a_ref_that_names_nobody(engine: Engine, book: PeopleBook) -> None:
    person = Person(name=NAME, phone="045-123-4567", address="横浜市中区1-1")
    with Session(engine) as session:
        ref = book.put(session, account_identity("kacho"), person, kind="account", now=T0)
        session.commit()
        assert ref == book.ref("user:kacho") != book.ref("user:kacho2")
        assert ref.startswith("p-") and len(ref) == 34
        row = session.get(PersonRow, ref)
        assert row is not None
        for plain in (NAME, "045-123-4567", "横浜市中区"):
            assert plain.encode() not in row.sealed
        assert book.read(session, [ref, None, "p-unknown"]) == {ref: person}
        other = book.put(session, "user:other", Person(name="別人"), kind="account", now=T0)
        session.flush()
        moved = session.get(PersonRow, other)
        assert moved is not None
        moved.sealed = row.sealed  # a sealed name copied onto another person's row
        session.flush()
        with pytest.raises(CaseError, match=f"people {other}: the sealed name does not open"):
            book.read(session, [other])


def test_projected_transitions_name_their_actor_by_ref(
    engine: Engine, book: PeopleBook, tmp_path: Path
) -> None:
    _project(engine, "case-a", 2, people=book)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT actor_name, actor_ref FROM case_transitions")).all()
    ref = book.ref("name:山田")
    assert rows == [("", ref), ("", ref)]
    with Session(engine) as session:
        assert book.name_of(session, ref) == "山田"
    trail = AuditTrail(engine, TEST_AUDIT_SEALER, documents_dir=tmp_path)
    assert trail.verify().ok
    sql(engine, f"UPDATE case_transitions SET actor_ref = '{book.ref('name:別人')}' WHERE seq = 1")
    assert [f.line() for f in trail.verify().findings] == [
        "transition case-a #1: edited: its fields no longer match its MAC"
    ]


def test_plain_names_of_an_older_database_move_once_and_edits_stay_visible(
    engine: Engine, book: PeopleBook, tmp_path: Path
) -> None:
    _user(engine, "kacho", NAME)
    _project(engine, "case-a", 3)  # v1 rows: the name in the row, MAC over it
    _project(engine, "case-b", 1, sealer=None)  # from before the audit trail: no MAC
    sql(
        engine, "UPDATE case_transitions SET reason = 'edited' WHERE case_id = 'case-a' AND seq = 2"
    )
    trail = AuditTrail(engine, TEST_AUDIT_SEALER, documents_dir=tmp_path)
    before = [f.line() for f in trail.verify().findings]

    adopted = adopt_plain_names(engine, book)

    assert (adopted.users, adopted.transitions, adopted.left) == (1, 3, 1)
    assert [f.line() for f in trail.verify().findings] == before  # nothing laundered
    with engine.connect() as conn:
        names = conn.execute(
            text("SELECT case_id, seq, actor_name, actor_ref FROM case_transitions ORDER BY 1, 2")
        ).all()
        user = conn.execute(text("SELECT display_name, person_ref FROM users")).one()
    ref = book.ref("name:山田")
    assert names == [
        ("case-a", 0, "", ref),
        ("case-a", 1, "", ref),
        ("case-a", 2, "山田", None),  # edited: left as it was, still reported
        ("case-b", 0, "", ref),
    ]
    assert tuple(user) == ("", book.ref("user:kacho"))
    with Session(engine) as session:
        assert book.name_of(session, user[1]) == NAME
    assert [f.kind for f in trail.verify().findings] == [Tampering.edited, Tampering.unsigned]
    assert adopt_plain_names(engine, book).transitions == 0
    assert adopt_plain_names(engine, book).users == 0


def test_an_account_signing_acts_is_one_person(engine: Engine, book: PeopleBook) -> None:
    with Session(engine) as session:
        ref = book.put_actor(session, f"{NAME}(kacho)", "kacho", now=T0)
        again = book.put_actor(session, f"{NAME}(kacho)", "kacho", now=T0 + dt.timedelta(1))
        session.commit()
        assert ref == again == book.ref(account_identity("kacho"))
        assert book.name_of(session, ref) == NAME
