"""`starter.py case ...`: create, act on, show and list cases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from sqlmodel import Session

from cli.common import console, fail, open_gateway, print_json, run
from cli.render import case_list, case_sheet
from cli.scenario_runner import load_document, load_structured, load_yaml
from models.case import ActInput, Actor, CaseSnapshot
from models.errors import InvalidPayload
from models.labels import ROLE_LABELS, TRIGGER_LABELS
from models.lifecycle import REPAIRS, RULES, is_engine_only
from models.states import PERSON_ROLES, CaseState, Role
from persistence import repository
from persistence.database import make_engine
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


def _parse_sets(pairs: list[str]) -> dict[str, Any]:
    """--set a.b=value pairs (values read as YAML scalars or flow lists) into a dict."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise InvalidPayload(f"--set {pair!r}: expected key=value")
        try:
            value = load_yaml(raw) if raw else ""
        except yaml.YAMLError as exc:
            raise InvalidPayload(f"--set {key}: {exc}") from None
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise InvalidPayload(f"--set {key}: {part} is not a mapping")
        node[leaf] = value
    return out


def _show(snap: CaseSnapshot, as_json: bool, role: Role | None, gateway_town: Any) -> None:
    if as_json:
        print_json(snap)
        return
    for part in case_sheet(snap, gateway_town, role):
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
        gateway = await open_gateway()
        snap = await gateway.create_case(
            document=document,
            actor=Actor(role=Role.department, name=actor),
            external_ref=ref,
            created_on=on.date() if on else None,
        )
        _show(snap, as_json, Role.department, gateway.municipality)
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
            loaded = load_structured(payload)
            if not isinstance(loaded, dict):
                raise InvalidPayload(f"{payload}: the payload must be a mapping")
            data.update(loaded)
        data.update(_parse_sets(set_ or []))
        person = _person(role)
        request = ActInput(
            trigger=trigger,
            actor=Actor(role=person, name=actor or ROLE_LABELS[person]),
            payload=data,
            on=on.date() if on else None,
        )
        gateway = await open_gateway()
        await gateway.act(case_id, request, request_id=request_id)
        _show(await gateway.snapshot(case_id), as_json, person, gateway.municipality)

    run(work)


@app.command()
def show(
    case_id: str,
    role: Annotated[Role | None, typer.Option("--as", help="show actions for this role")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a case: state, label, allowed next actions, history (live from the engine)."""

    async def work() -> None:
        gateway = await open_gateway()
        _show(await gateway.snapshot(case_id), as_json, role, gateway.municipality)

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
    from gateway import load_municipality

    settings = Settings()
    town = load_municipality(settings.municipality_file)
    engine = make_engine(settings.read_model_url)
    with Session(engine) as session:
        rows = repository.list_cases(
            session,
            state=state.value if state else None,
            department=department,
            kind=kind,
            fiscal_year=fiscal_year,
        )
    if as_json:
        print_json([row.model_dump(mode="json") for row in rows])
    else:
        console.print(case_list(rows, town))
