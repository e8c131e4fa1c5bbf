"""`starter.py council ...`: register and show councils (審議会)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import render
from cli.common import console, open_edge, print_json, run
from edge.councils import list_councils
from edge.loaders import load_model
from models.municipality import MunicipalityConfig
from models.session.council import Council
from models.session.council_registry import CouncilSnapshot
from models.views import council_list, council_sheet
from settings import Settings

app = typer.Typer(
    help="Register and show councils (審議会): roster, rules, sessions, answer numbers.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def _show(snap: CouncilSnapshot, town: MunicipalityConfig, as_json: bool) -> None:
    if as_json:
        print_json(snap)
        return
    for part in render.council_sheet(council_sheet(snap, town)):
        console.print(part)


@app.command()
def register(
    file: Annotated[Path, typer.Argument(help="YAML or JSON file with the council")],
    as_json: JsonOpt = False,
) -> None:
    """Register a council: members (one chair), quorum and vote rules, numbering, lead times."""

    async def work() -> None:
        council = load_model(Council, file)
        edge = await open_edge()
        _show(await edge.councils.register(council), edge.municipality, as_json)

    run(work)


@app.command()
def show(council_id: str, as_json: JsonOpt = False) -> None:
    """Show a council: roster with roles, rules, planned sessions, answer numbers handed out."""

    async def work() -> None:
        edge = await open_edge()
        _show(await edge.councils.council(council_id), edge.municipality, as_json)

    run(work)


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """List the councils from the read model."""
    rows = list_councils(Settings())
    if as_json:
        print_json([row.model_dump(mode="json") for row in rows])
    else:
        console.print(render.table(council_list(rows)))
