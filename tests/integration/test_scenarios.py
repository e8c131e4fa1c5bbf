"""Every scenario file in scenarios/ (the public sample cases among them) runs green."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.scenarios import ScenarioRunner, load_scenario
from tests.conftest import ROOT
from tests.factories import TEST_ADMIN
from tests.integration.conftest import System

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
async def test_scenario_runs_green(system: System, path: Path) -> None:
    scenario = load_scenario(path)
    _ids, results = await ScenarioRunner(system.gateway, admin=TEST_ADMIN, unique=True).run(
        scenario, path.parent
    )
    failed = [r for r in results if not r.ok]
    assert not failed, "\n".join(
        f"step {r.number} {r.trigger} as {r.role}: expected {r.expected}, got {r.got} {r.detail}"
        for r in failed
    )
    assert len(results) == len(scenario.steps)
