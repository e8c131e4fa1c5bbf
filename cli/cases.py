"""`starter.py case ...`: create, act on, show and list cases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import render
from cli.common import checked, console, fail, open_edge, print_json, run, signed_in
from edge.archive import ARCHIVE_READ
from edge.audit import record_cli_action
from edge.cases import list_cases
from edge.identity import actor_for
from edge.loaders import load_document, load_mapping, load_municipality, load_structured, parse_sets
from models.audit import AuditAction
from models.case.checks import CREATORS
from models.case.lifecycle import REPAIRS, RULES, is_engine_only, roles_for
from models.case.record import ActInput, CaseSnapshot
from models.case.states import CaseState, Role, Trigger
from models.labels import TRIGGER_LABELS
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

RoleOpt = Annotated[
    Role | None,
    typer.Option("--as", help="which of your roles to act in (default: one the act takes)"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


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
    on: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a case in draft from a consultation document file (as the signed-in user: a
    department's member or head for its own department, or the secretariat)."""

    async def work() -> CaseSnapshot:
        document = load_document(load_structured(file), str(file))
        edge = await open_edge()
        actor = actor_for(signed_in(edge.settings), CREATORS)
        snap = await edge.cases.create_case(
            document=document,
            actor=actor,
            external_ref=ref,
            created_on=on.date() if on else None,
        )
        _show(snap, as_json, actor.role, edge.municipality)
        return snap

    run(work)


@app.command(
    help="Fire a trigger on a case, as the signed-in user (TOSHIN_TOKEN, or TOSHIN_USER and "
    f"TOSHIN_PASSWORD).\n\nTriggers:\n\n{TRIGGER_HELP}"
)
def act(
    case_id: str,
    trigger: str,
    role: RoleOpt = None,
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
        if role is Role.engine:
            raise fail("--as: engine is not a person's role")
        edge = await open_edge()
        allowed = roles_for(Trigger(trigger)) if trigger in Trigger.__members__ else ()
        actor = actor_for(signed_in(edge.settings), allowed, role)
        request = ActInput(trigger=trigger, actor=actor, payload=data, on=on.date() if on else None)
        await edge.cases.act(case_id, request, request_id=request_id)
        _show(await edge.cases.snapshot(case_id), as_json, actor.role, edge.municipality)

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
        snap = await edge.cases.snapshot(case_id)
        if snap.archived_at is not None:  # a read of the archive is audited like a case read
            record_cli_action(
                edge.settings,
                ARCHIVE_READ,
                case_id=case_id,
                actor=edge.settings.user or None,
                action=AuditAction.case_read,
            )
        _show(snap, as_json, role, edge.municipality)
        if snap.archived_at is not None and not as_json:
            console.print(
                f"ended; shown from the archive (archived {snap.archived_at:%Y-%m-%d %H:%M} UTC)",
                highlight=False,
            )

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
