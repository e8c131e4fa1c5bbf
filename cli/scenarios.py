"""`starter.py scenario run FILE` and `starter.py demo load`."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from cli.common import console, fail, open_edge, print_json, run, signed_in
from cli.render import step_table
from edge.loaders import load_model
from edge.scenarios import ScenarioRunner, load_scenario
from models.errors import DuplicateCase
from models.session.council import Council
from settings import ROOT

app = typer.Typer(help="Run scenario files (docs/scenarios.md).", no_args_is_help=True)

DEMO_SCENARIOS = sorted((ROOT / "scenarios").glob("s*.yaml"))


async def run_files(files: list[Path], *, unique: bool, as_json: bool) -> bool:
    edge = await open_edge()
    admin = signed_in(edge.settings)
    all_ok = True
    for path in files:
        scenario = load_scenario(path)
        runner = ScenarioRunner(edge.cases, admin=admin, unique=unique, councils=edge.councils)
        ids, results = await runner.run(scenario, path.parent)
        ok = all(r.ok for r in results)
        all_ok = all_ok and ok
        if as_json:
            print_json(
                {
                    "scenario": scenario.name,
                    "cases": ids,
                    "ok": ok,
                    "steps": [r.__dict__ for r in results],
                }
            )
        else:
            console.print(step_table(results, f"{scenario.name}"))
            console.print("cases: " + ", ".join(f"{alias}={cid}" for alias, cid in ids.items()))
        if not ok:
            break
    return all_ok


@app.command("run")
def run_(
    files: Annotated[list[Path], typer.Argument(help="scenario YAML files")],
    unique: Annotated[bool, typer.Option(help="suffix external refs so the run is fresh")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Drive scenario files against the running engine; exit non-zero at the first mismatch."""
    if not run(lambda: run_files(files, unique=unique, as_json=as_json)):
        raise fail("scenario mismatch (see the step table)")


demo = typer.Typer(help="Demo data.", no_args_is_help=True)


DEMO_COUNCIL = ROOT / "config" / "council.example.yaml"


async def register_demo_council() -> None:
    """The example council, so sessions can be planned right away (kept if registered)."""
    edge = await open_edge()
    with contextlib.suppress(DuplicateCase):
        await edge.councils.register(load_model(Council, DEMO_COUNCIL))


@demo.command("load")
def load(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Load the public sample cases and the example council (idempotent: what exists is
    left as it is)."""
    if not run(lambda: run_files(DEMO_SCENARIOS, unique=False, as_json=as_json)):
        raise fail("a demo scenario did not run as expected")
    run(register_demo_council)
