"""Every session scenario in scenarios/sessions/ (the public sample cases that involve a council
session, driven through real SessionWorkflows) runs green on the dev server; and the format's
run-relative parts behave."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from edge.scenarios import ScenarioRunner, _base, load_scenario
from models.errors import InvalidPayload
from models.scenario import RunRelativeStart, Scenario, run_clock, run_date
from tests.conftest import ROOT
from tests.factories import TEST_ADMIN
from tests.integration.conftest import System
from tests.integration.test_cli import cli

SCENARIOS = sorted((ROOT / "scenarios" / "sessions").glob("*.yaml"))
JST = dt.timezone(dt.timedelta(hours=9))


def test_there_are_session_scenarios() -> None:
    assert {p.stem.split("_")[0] for p in SCENARIOS} >= {
        "s01",
        "s02",
        "s05",
        "s06",
        "s10",
        "h",
        "q",
    }
    assert any(p.stem.startswith("bad_input") for p in SCENARIOS)


def test_run_relative_dates() -> None:
    today = dt.date(2026, 1, 30)
    assert run_date("@today", today) == today
    assert run_date("@today-8", today) == dt.date(2026, 1, 22)
    assert run_date("@today+2", today) == dt.date(2026, 2, 1)
    assert run_date(dt.date(2017, 7, 26), today) == dt.date(2017, 7, 26)
    assert RunRelativeStart(in_days=-8).resolve(today) == {"year": 2026, "month": 1, "day": 22}
    assert RunRelativeStart(in_months=11, jun="early").resolve(today) == {
        "year": 2026,
        "month": 12,
        "jun": "early",
    }
    assert RunRelativeStart(in_months=12, jun="late").resolve(today)["year"] == 2027
    with pytest.raises(ValueError, match="in_months needs jun"):
        RunRelativeStart(in_months=2)
    assert run_clock(dt.datetime(2026, 1, 30, 10, 3, 59, tzinfo=JST)) == dt.datetime(
        2026, 1, 30, 10, 4, tzinfo=JST
    )


def test_the_format_refuses_unknown_aliases_and_mixed_steps(tmp_path: Path) -> None:
    base = load_scenario(SCENARIOS[0]).model_dump(by_alias=True, exclude_none=True)

    def refused(change: dict[str, object], match: str) -> None:
        path = tmp_path / "bad.yaml"
        path.write_text(json.dumps({**base, **change}, default=str), encoding="utf-8")
        with pytest.raises(InvalidPayload, match=match):
            load_scenario(path.with_suffix(".yaml"))

    step = {"session": next(iter(base["sessions"])), "as": "secretariat"}
    refused({"steps": [{**step, "act": "teleport", "expect_session": "planned"}]}, "unknown act")
    refused({"steps": [{**step, "act": "send_notice", "expect": "scheduled"}]}, "not expect")
    refused({"steps": [{**step, "act": "send_notice"}]}, "expect_error")
    refused({"steps": [{**step, "act": "send_notice", "trigger": "submit"}]}, "either trigger")
    refused(
        {
            "steps": [
                {
                    **step,
                    "session": "nowhere",
                    "act": "send_notice",
                    "expect_session": "notice_sent",
                }
            ]
        },
        "unknown session",
    )
    refused({"municipality_policy": {"notice_lead_days": 0}}, "notice_lead_days")
    assert isinstance(Scenario.model_validate(base), Scenario)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
async def test_session_scenario_runs_green(system: System, path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.sessions, "a session scenario declares its sessions"
    runner = ScenarioRunner(system.gateway, admin=TEST_ADMIN, unique=True)
    ids, results = await runner.run(scenario, path.parent)
    failed = [r for r in results if not r.ok]
    assert not failed, "\n".join(
        f"step {r.number} {r.case} {r.trigger} as {r.role}: expected {r.expected}, "
        f"got {r.got} {r.detail}"
        for r in failed
    )
    assert len(results) == len(scenario.steps)
    assert set(runner.session_ids) == set(scenario.sessions)
    assert all(runner.council_ids[c].startswith(f"{c}-") for c in scenario.councils)
    assert set(scenario.cases) <= set(ids)


async def test_starter_runs_a_session_scenario(system: System) -> None:
    path = ROOT / "scenarios" / "sessions" / "s02_fujisawa_870_session.yaml"
    code, out, err = await cli(system, "scenario", "run", str(path), "--unique", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"] and len(report["steps"]) == len(load_scenario(path).steps)
    assert {"c870", "s2017"} <= set(report["cases"])
    numbers = [s for s in report["steps"] if "第870号" in s["got"]]
    assert len(numbers) == 1


def test_a_run_near_midnight_holds_todays_sessions_today() -> None:
    """No wait for midnight: the run's base moves earlier so a session held "today" starts
    on the run's day, and its clock is pinned to that day."""
    scenario = load_scenario(SCENARIOS[0])
    latest = max(s.starts_in_minutes or 0 for s in scenario.sessions.values())
    late = dt.datetime(2026, 1, 30, 23, 58, 30, tzinfo=JST)
    base = _base(scenario, late)
    assert (base + dt.timedelta(minutes=latest)).date() == late.date()
    noon = dt.datetime(2026, 1, 30, 12, 0, 30, tzinfo=JST)
    assert _base(scenario, noon) == run_clock(noon)
