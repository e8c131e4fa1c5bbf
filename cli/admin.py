"""`starter.py admin ...`: see and repair parked steps."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.common import console, open_edge, print_json, run, signed_in
from edge import admin
from edge.identity import actor_for
from models.case.record import AdminInput
from models.case.states import Role
from settings import Settings

app = typer.Typer(
    help="Repair failed steps: list parked cases, retry, skip or abort.", no_args_is_help=True
)

ReasonOpt = Annotated[str, typer.Option(help="why (recorded with the action)")]
JsonOpt = Annotated[bool, typer.Option("--json")]


@app.command()
def failed(as_json: JsonOpt = False) -> None:
    """List every case with a parked step."""

    async def work() -> None:
        edge = await open_edge()
        parked = await edge.cases.parked_cases()
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


def _admin(action: str, case_id: str, reason: str, as_json: bool) -> None:
    async def work() -> None:
        edge = await open_edge()
        actor = actor_for(signed_in(edge.settings), (Role.admin,))
        snap = await edge.cases.admin(case_id, action, AdminInput(actor=actor, reason=reason))
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
    as_json: JsonOpt = False,
) -> None:
    """Run the parked step again."""
    _admin("retry", case_id, reason, as_json)


@app.command()
def skip(case_id: str, reason: ReasonOpt, as_json: JsonOpt = False) -> None:
    """Drop the parked step and go on (a reason is required)."""
    _admin("skip", case_id, reason, as_json)


@app.command()
def abort(case_id: str, reason: ReasonOpt, as_json: JsonOpt = False) -> None:
    """End the case as aborted (a reason is required)."""
    _admin("abort", case_id, reason, as_json)


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
        done = await admin.setup(Settings(), retention_days)
        if as_json:
            print_json(done)
        else:
            if done.namespace_registered:
                console.print(f"namespace {done.namespace}: registered")
            added = done.search_attributes_added
            what = ", ".join(added) if added else "none (all present)"
            console.print(f"namespace {done.namespace}: search attributes added: {what}")
            console.print("read model: tables present")

    run(work)


@app.command("reproject-councils")
def reproject_councils(as_json: JsonOpt = False) -> None:
    """Write every registered council's read-model row now (councils started before councils
    were projected): the council workflow's ``project_read_model`` update, for each."""
    done = run(lambda: admin.reproject_councils(Settings()))
    if as_json:
        print_json(done)
        return
    for council_id, version in sorted(done.items()):
        console.print(f"{council_id}: projected (version {version})")
    console.print(f"{len(done)} council(s) reprojected")
