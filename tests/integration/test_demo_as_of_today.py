"""The demo as of today: `./toshin up`'s loader places its live cases' deadlines around the
day it runs (the runner's clock), so the desk shows a case past its deadline, one due soon
and one on track at once — here with a fixed "today", read from the desk's case list."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from edge.scenarios import ScenarioRunner, load_scenario
from models.scenario import JST
from persistence.repository import page_cases
from tests.conftest import ROOT
from tests.factories import TEST_ADMIN
from tests.integration.conftest import System
from web.routes.cases import deadline_tone

DEMO = ROOT / "scenarios" / "s12_desk_as_of_today.yaml"
TODAY = dt.date(2026, 11, 25)  # a Wednesday; any day not after the real one will do


async def test_the_demo_shows_overdue_due_soon_and_on_track_cases_as_of_its_day(
    system: System,
) -> None:
    noon = dt.datetime.combine(TODAY, dt.time(12), JST)
    runner = ScenarioRunner(system.gateway, admin=TEST_ADMIN, unique=True, clock=lambda: noon)
    ids, results = await runner.run(load_scenario(DEMO), DEMO.parent)
    assert [r for r in results if not r.ok] == []
    with Session(system.engine) as db:
        rows, _ = page_cases(db, department="保健センター", limit=100)
    due = {row.case_id: row.next_deadline for row in rows}
    tones = {alias: deadline_tone(due[case_id], TODAY) for alias, case_id in ids.items()}
    assert tones == {"overdue": "overdue", "soon": "soon", "ontrack": ""}, (tones, due)
    assert all(due[case_id] is not None for case_id in ids.values())
    assert due[ids["ontrack"]] == TODAY + dt.timedelta(days=60)
