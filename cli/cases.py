"""`starter.py case ...`: create, act on, show and list cases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import render
from cli.common import checked, console, fail, open_edge, print_json, run
from edge.cases import list_cases
from edge.loaders import (
    load_document,
    load_mapping,
    load_municipality,
    load_structured,
    parse,
    parse_sets,
)
from models.case.lifecycle import REPAIRS, RULES, is_engine_only
from models.case.record import ActInput, Actor, CaseSnapshot
from models.case.states import PERSON_ROLES, CaseState, Role
from models.labels import ROLE_LABELS, TRIGGER_LABELS
from models.municipality import MunicipalityConfig
from models.views import case_list, case_sheet
from settings import Settings

app = typer.Typer(help="Create, act on, show and list cases.", no_args_is_help=True)

TRIGGER_HELP = "\n\n".join(
    f"{r.trigger} ({TRIGGER_LABELS[r.trigger]}): {'/'.join(r.sources)} → {r.dest}, by "
    f"{'/'.join(r.roles)}"
    for r in RULES
    if not is_engine_only(r.trigger) and r.trigger not in REPAIRS
)

RoleOpt = Annotated[Role, typer.Option("--as", help="the acting role")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def _person(role: Role) -> Role:
    if role not in PERSON_ROLES:
        raise fail("--as: engine is not a person's role")
    return role


def _actor(role: Role, name: str) -> Actor:
    return parse(Actor, {"role": role, "name": name}, "--actor")


def _show(snap: CaseSnapshot, as_json: bool, role: Role | None, town: MunicipalityConfig) -> None:
    if as_json:
        print_json(snap)
        return
    for part in render.case_sheet(case_sheet(snap, town, role)):
        console.print(part)


@app.command()
def create(
    file: Annotated[Path, typer.Argument(help="YAML or JSON file with the 諮問書 fields")],
    ref: Annotated[str | None, typer.Option(help="external reference, e.g. 諮問第870号")] = None,
    actor: Annotated[str, typer.Option(help="who creates it")] = "担当課",
    on: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a case in draft from a consultation document file."""

    async def work() -> CaseSnapshot:
        document = load_document(load_structured(file), str(file))
        edge = await open_edge()
        snap = await edge.cases.create_case(
            document=document,
            actor=_actor(Role.department, actor),
            external_ref=ref,
            created_on=on.date() if on else None,
        )
        _show(snap, as_json, Role.department, edge.municipality)
        return snap

    run(work)


@app.command(help=f"Fire a trigger on a case.\n\nTriggers:\n\n{TRIGGER_HELP}")
def act(
    case_id: str,
    trigger: str,
    role: RoleOpt,
    actor: Annotated[str | None, typer.Option(help="the person acting")] = None,
    payload: Annotated[Path | None, typer.Option(help="YAML/JSON file with the payload")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="payload field key=value")] = None,
    on: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    request_id: Annotated[str | None, typer.Option(help="idempotency key for retries")] = None,
    as_json: JsonOpt = False,
) -> None:
    async def work() -> None:
        data: dict[str, Any] = {}
        if payload is not None:
            data.update(load_mapping(payload))
        data.update(parse_sets(set_ or []))
        person = _person(role)
        request = ActInput(
            trigger=trigger,
            actor=_actor(person, actor or ROLE_LABELS[person]),
            payload=data,
            on=on.date() if on else None,
        )
        edge = await open_edge()
        await edge.cases.act(case_id, request, request_id=request_id)
        _show(await edge.cases.snapshot(case_id), as_json, person, edge.municipality)

    run(work)


@app.command()
def show(
    case_id: str,
    role: Annotated[Role | None, typer.Option("--as", help="show actions for this role")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a case: state, label, allowed next actions, history (live from the engine)."""

    async def work() -> None:
        edge = await open_edge()
        _show(await edge.cases.snapshot(case_id), as_json, role, edge.municipality)

    run(work)


@app.command("list")
def list_(
    state: Annotated[CaseState | None, typer.Option()] = None,
    department: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[str | None, typer.Option()] = None,
    fiscal_year: Annotated[int | None, typer.Option(help="e.g. 2017 for 平成29年度")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List cases from the read model, with filters."""
    settings = Settings()
    town = checked(lambda: load_municipality(settings.municipality_file))
    rows = list_cases(
        settings,
        state=state.value if state else None,
        department=department,
        kind=kind,
        fiscal_year=fiscal_year,
    )
    if as_json:
        print_json([row.model_dump(mode="json") for row in rows])
    else:
        console.print(render.table(case_list(rows, town)))
