"""The deadlines read model on SQLite and PostgreSQL, and `calendar export` as a person runs it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from icalendar import Calendar

from activities.deadlines import DeadlineActivities
from models.projection import DeadlineRow, DeadlineStatus, ProjectDeadlinesInput
from persistence.repository import upcoming_deadlines
from tests.integration.conftest import System
from tests.integration.test_cli import cli

DUE = dt.date(2031, 4, 1)


def deadlines(
    case_id: str, *rows: DeadlineRow, department: str = "保健センター"
) -> ProjectDeadlinesInput:
    return ProjectDeadlinesInput(
        case_id=case_id,
        department=department,
        case_number=f"諮問第{case_id}号",
        title="件名",
        rows=list(rows),
    )


@pytest.mark.both_dbs
async def test_project_deadlines_replaces_a_case_rows_idempotently(system: System) -> None:
    acts = DeadlineActivities(system.engine)
    two = deadlines(
        "c1",
        DeadlineRow(
            key="materials", what="資料送付", due_on=DUE, window_from=DUE - dt.timedelta(days=7)
        ),
        DeadlineRow(key="answer", what="答申", due_on=DUE + dt.timedelta(days=14)),
    )
    acts.project_deadlines(
        deadlines("c2", DeadlineRow(key="materials", what="資料送付", due_on=DUE))
    )
    assert acts.project_deadlines(two).written == 2
    assert acts.project_deadlines(two).removed == 2  # the same input again: the same rows
    rows = upcoming_deadlines(system.engine, "保健センター", DUE)
    assert [(r.case_id, r.key) for r in rows] == [
        ("c1", "materials"),
        ("c2", "materials"),
        ("c1", "answer"),
    ]
    assert rows[0].window_from == DUE - dt.timedelta(days=7)

    met = DeadlineRow(
        key="answer", what="答申", due_on=DUE + dt.timedelta(days=14), status=DeadlineStatus.met
    )
    result = acts.project_deadlines(deadlines("c1", met))
    assert (result.written, result.removed) == (1, 2)
    rows = upcoming_deadlines(system.engine, "保健センター", DUE)
    assert [(r.case_id, r.key) for r in rows] == [
        ("c2", "materials")
    ]  # c1 materials gone, answer met
    assert upcoming_deadlines(system.engine, "保健センター", DUE + dt.timedelta(days=1)) == []
    assert upcoming_deadlines(system.engine, "図書館", DUE) == []


async def test_calendar_export_writes_the_department_ics_and_refuses_an_unknown_one(
    system: System, tmp_path: Path
) -> None:
    DeadlineActivities(system.engine).project_deadlines(
        deadlines("c1", DeadlineRow(key="materials", what="資料送付", due_on=DUE))
    )
    out = tmp_path / "hoken.ics"
    code, _, stderr = await cli(
        system, "calendar", "export", "--department", "保健センター", "--out", str(out)
    )
    assert code == 0, stderr
    events = Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["資料送付 案件 諮問第c1号"]

    code, _, stderr = await cli(system, "calendar", "export", "--department", "保健所")
    assert code == 1
    assert stderr.strip().startswith("error: UnknownDepartment: unknown department '保健所'")
