"""Every session scenario in scenarios/sessions/ (the public sample cases that involve a council
session, driven through real SessionWorkflows) runs green on the dev server."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.scenario_runner import NotToday, ScenarioRunner, load_scenario
from tests.conftest import ROOT
from tests.integration.conftest import System

SCENARIOS = sorted((ROOT / "scenarios" / "sessions").glob("*.yaml"))


def test_there_are_session_scenarios() -> None:
    assert len(SCENARIOS) >= 7


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
async def test_session_scenario_runs_green(system: System, path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.sessions, "a session scenario declares its sessions"
    runner = ScenarioRunner(system.gateway, unique=True)
    try:
        ids, results = await runner.run(scenario, path.parent)
    except NotToday as exc:  # sessions held "today" would start after midnight (JST)
        pytest.skip(exc.message)
    failed = [r for r in results if not r.ok]
    assert not failed, "\n".join(
        f"step {r.number} {r.case} {r.trigger} as {r.role}: expected {r.expected}, "
        f"got {r.got} {r.detail}"
        for r in failed
    )
    assert len(results) == len(scenario.steps)
    assert set(runner.session_ids) == set(scenario.sessions)
    assert all(runner.council_ids[c].startswith(c) for c in scenario.councils)
    assert set(scenario.cases) <= set(ids)
