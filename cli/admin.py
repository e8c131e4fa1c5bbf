"""`starter.py admin ...`: see and repair parked steps."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.common import connect_or_explain, console, open_gateway, print_json, run
from cli.setup_namespace import ensure_namespace, register_search_attributes
from models.case import Actor, AdminInput
from models.states import Role
from persistence.database import make_engine
from settings import Settings

app = typer.Typer(
    help="Repair failed steps: list parked cases, retry, skip or abort.", no_args_is_help=True
)

ReasonOpt = Annotated[str, typer.Option(help="why (recorded with the action)")]
ActorOpt = Annotated[str, typer.Option(help="the admin acting")]
JsonOpt = Annotated[bool, typer.Option("--json")]


@app.command()
def failed(as_json: JsonOpt = False) -> None:
    """List every case with a parked step."""

    async def work() -> None:
        gateway = await open_gateway()
        snaps = [await gateway.snapshot(cid) for cid in await gateway.parked_case_ids()]
        parked = [s for s in snaps if s.parked is not None]
        if as_json:
            print_json(
                [{"case_id": s.case_id, "state": s.state, "parked": s.parked} for s in parked]
            )
            return
        table = Table(title=f"parked steps ({len(parked)})")
        for col in ("case", "state", "step", "transition", "attempts", "since", "last error"):
            table.add_column(col)
        for s in parked:
            assert s.parked is not None
            table.add_row(
                s.case_id,
                s.state.value,
                s.parked.step,
                str(s.parked.seq),
                str(s.parked.attempts),
                s.parked.since.isoformat(timespec="seconds"),
                s.parked.error,
            )
        console.print(table)

    run(work)


def _admin(action: str, case_id: str, reason: str, actor: str, as_json: bool) -> None:
    async def work() -> None:
        gateway = await open_gateway()
        snap = await gateway.admin(
            case_id, action, AdminInput(actor=Actor(role=Role.admin, name=actor), reason=reason)
        )
        if as_json:
            print_json(snap)
        else:
            parked = f", parked again: {snap.parked.error}" if snap.parked else ""
            console.print(f"{action}: case {case_id} is {snap.state} ({snap.label}){parked}")

    run(work)


@app.command()
def retry(
    case_id: str,
    reason: ReasonOpt = "retry after repair",
    actor: ActorOpt = "admin",
    as_json: JsonOpt = False,
) -> None:
    """Run the parked step again."""
    _admin("retry", case_id, reason, actor, as_json)


@app.command()
def skip(
    case_id: str, reason: ReasonOpt, actor: ActorOpt = "admin", as_json: JsonOpt = False
) -> None:
    """Drop the parked step and go on (a reason is required)."""
    _admin("skip", case_id, reason, actor, as_json)


@app.command()
def abort(
    case_id: str, reason: ReasonOpt, actor: ActorOpt = "admin", as_json: JsonOpt = False
) -> None:
    """End the case as aborted (a reason is required)."""
    _admin("abort", case_id, reason, actor, as_json)


@app.command()
def setup(
    retention_days: Annotated[
        int, typer.Option(min=1, help="history retention of closed workflows, if registered now")
    ] = 30,
    as_json: JsonOpt = False,
) -> None:
    """Prepare a Temporal cluster: the namespace (registered if missing), the case search
    attributes and the read-model tables, once, before the workers start. Idempotent;
    `./toshin up` needs none of it."""

    async def work() -> None:
        settings = Settings()
        client = await connect_or_explain(settings)
        registered = await ensure_namespace(client, settings.namespace, retention_days)
        added = await register_search_attributes(client, settings.namespace)
        make_engine(settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        if as_json:
            print_json(
                {
                    "namespace": settings.namespace,
                    "namespace_registered": registered,
                    "search_attributes_added": added,
                }
            )
        else:
            if registered:
                console.print(f"namespace {settings.namespace}: registered")
            what = ", ".join(added) if added else "none (all present)"
            console.print(f"namespace {settings.namespace}: search attributes added: {what}")
            console.print("read model: tables present")

    run(work)
