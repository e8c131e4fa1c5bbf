"""The publication export's refusals and its index when a PDF is missing (the full export of
real documents, twice and byte for byte, is in tests/integration/test_precedents.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from edge.publication import export_year, may_publish
from models.accounts import UserRole
from models.errors import InvalidPayload, RoleNotAllowed
from persistence import precedents
from persistence.database import make_engine
from tests.factories import TEST_ADMIN
from tests.unit.test_precedents import FACE


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'rm.db'}")
    yield engine
    engine.dispose()


def test_an_answer_without_its_pdf_is_listed_and_named_missing(
    engine: Engine, tmp_path: Path
) -> None:
    with Session(engine) as session:
        precedents.write_entry(session, FACE)
        session.commit()
    report = export_year(engine, tmp_path / "documents", 2025, tmp_path / "out")
    assert (report.answers, report.minutes) == (1, 0)
    assert report.missing == ["答申第1号: no PDF generated"]
    lines = (tmp_path / "out" / "index.csv").read_bytes().decode("utf-8-sig").split("\r\n")
    assert lines[1] == f"答申,第1号,{FACE.title},市民課,,2025-07-10,条件付き可,"
    assert export_year(engine, tmp_path / "documents", 2024, tmp_path / "o2").answers == 0


def test_the_export_refuses_a_folder_in_use_a_bad_year_and_other_roles(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x.txt").write_text("x")
    with pytest.raises(InvalidPayload, match=r"out: .* is not an empty folder"):
        export_year(engine, tmp_path, 2025, tmp_path / "used")
    with pytest.raises(InvalidPayload, match="fiscal_year: 25 is not a fiscal year"):
        export_year(engine, tmp_path, 25, tmp_path / "new")
    head = TEST_ADMIN.model_copy(update={"roles": [UserRole.department_head], "department": "x"})
    with pytest.raises(RoleNotAllowed, match="exported by the secretariat"):
        may_publish(head)
    may_publish(TEST_ADMIN)
