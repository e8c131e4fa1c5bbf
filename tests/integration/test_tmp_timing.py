import time
from pathlib import Path
import pytest
from cli import scenario_runner as sr
from tests.conftest import ROOT


@pytest.mark.parametrize("name", ["s10_report_items_session", "h_higashimurayama_closed_session"])
async def test_timing(system, name):
    path = ROOT / "scenarios" / "sessions" / f"{name}.yaml"
    runner = sr.ScenarioRunner(system.gateway, unique=True)
    orig_s, orig_c = runner._session_step, runner._case_step

    async def s(*a, **k):
        t = time.monotonic()
        r = await orig_s(*a, **k)
        print(f"{time.monotonic() - t:6.2f} {r.number} {r.case} {r.trigger} {r.got}")
        return r

    async def c(*a, **k):
        t = time.monotonic()
        r = await orig_c(*a, **k)
        print(f"{time.monotonic() - t:6.2f} {r.number} {r.case} {r.trigger} {r.got}")
        return r

    runner._session_step, runner._case_step = s, c
    t = time.monotonic()
    ids, results = await runner.run(sr.load_scenario(path), path.parent)
    print("total", time.monotonic() - t)
