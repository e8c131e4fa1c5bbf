"""`starter.py admin ...`: see and repair parked steps."""

from __future__ import annotations

import socket
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.common import checked, console, open_edge, print_json, run, signed_in
from edge import admin, backup
from edge.admin import AdminCaller, open_admin
from edge.audit import CLI_SOURCE, cli_who, load_audit_key, record_cli_action
from edge.retention import PurgeResult, Retention
from models.admin import AdminVerb, ResetPlan, Subject, group_by_cause, reason_given
from models.errors import InvalidPayload
from persistence.database import make_engine
from settings import Settings

app = typer.Typer(
    help="Repair failed steps (cases and sessions), reset a case, reconcile the read model.",
    no_args_is_help=True,
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


def _caller() -> AdminCaller:
    """The signed-in account (TOSHIN_TOKEN, or TOSHIN_USER + password); it must hold admin."""
    return AdminCaller(signed_in(Settings()), f"{CLI_SOURCE}@{socket.gethostname()}")


def _admin(action: str, target: str, reason: str, session: bool, as_json: bool) -> None:
    async def work() -> None:
        admin = await open_admin(Settings())
        subject = Subject.session if session else Subject.case
        done = await admin.repair(AdminVerb(action), subject, target, _caller(), reason)
        if as_json:
            print_json(done)
        else:
            console.print(done.line)

    run(work)


SessionOpt = Annotated[
    bool, typer.Option("--session", help="the id is a session's (its failed documents)")
]


@app.command()
def retry(
    target: Annotated[
        str, typer.Argument(metavar="ID", help="the case (or, with --session, session)")
    ],
    reason: ReasonOpt = "retry after repair",
    session: SessionOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run the parked step again (a session: generate its failed documents again)."""
    _admin("retry", target, reason, session, as_json)


@app.command()
def skip(case_id: str, reason: ReasonOpt, as_json: JsonOpt = False) -> None:
    """Drop the parked step and go on (a reason is required)."""
    _admin("skip", case_id, reason, False, as_json)


@app.command()
def abort(case_id: str, reason: ReasonOpt, as_json: JsonOpt = False) -> None:
    """End the case as aborted (a reason is required)."""
    _admin("abort", case_id, reason, False, as_json)


@app.command()
def parked(as_json: JsonOpt = False) -> None:
    """Every parked step of cases and sessions, grouped by cause."""

    async def work() -> None:
        admin = await open_admin(Settings())
        groups = group_by_cause(await admin.parked())
        if as_json:
            print_json(groups)
            return
        if not groups:
            console.print("no parked steps")
        for group in groups:
            table = Table(title=f"{group.cause} ({len(group.entries)})")
            for col in ("target", "state", "seq", "attempts", "since", "actions"):
                table.add_column(col)
            for e in group.entries:
                table.add_row(
                    f"{e.subject}:{e.subject_id}",
                    e.state,
                    "" if e.seq is None else str(e.seq),
                    "" if e.attempts is None else str(e.attempts),
                    e.since.isoformat(timespec="seconds"),
                    ", ".join(e.actions),
                )
            console.print(table)

    run(work)


@app.command("retry-batch")
def retry_batch(
    targets: Annotated[
        list[str], typer.Argument(metavar="TARGET...", help="case:<id> or session:<id>")
    ],
    reason: ReasonOpt,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only say what it touches")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask before retrying")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Retry the parked steps of many cases and sessions, after saying how many it touches."""

    async def work() -> None:
        reason_given(reason)
        if as_json and not (yes or dry_run):
            raise InvalidPayload("--json: add --yes or --dry-run (no question is asked)")
        admin = await open_admin(Settings())
        preview = await admin.preview_batch(targets)
        if as_json and dry_run:
            print_json(preview)
            return
        if not as_json:
            skipped = ", ".join(preview.not_parked)
            console.print(
                f"touches {preview.touches}: {len(preview.cases)} case(s), "
                f"{len(preview.sessions)} session(s)"
                + (f"; not parked: {skipped}" if skipped else "")
            )
        if dry_run or preview.touches == 0:
            return
        if not yes and not typer.confirm(f"retry {preview.touches}?"):
            raise typer.Exit(1)
        result = await admin.batch_retry(targets, _caller(), reason)
        if as_json:
            print_json(result)
            return
        console.print(
            f"retried {len(result.retried)}, still parked {len(result.still_parked)}, "
            f"refused {len(result.refused)}"
        )
        for line in result.refused:
            console.print(f"  refused {line}")

    run(work)


@app.command()
def reset(
    target: Annotated[
        str, typer.Argument(metavar="ID", help="the case (or, with --session, session)")
    ],
    to: Annotated[
        int | None,
        typer.Option("--to", help="the last act it keeps (a case's seq, a session's version)"),
    ] = None,
    reason: Annotated[str, typer.Option(help="why (required unless --dry-run)")] = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show the plan, change nothing")
    ] = False,
    session: Annotated[bool, typer.Option("--session", help="the id is a session's")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Reset a case or a session to an earlier step (a Temporal reset), then reconcile its
    rows. Without --to, lists the points it can go back to."""

    async def work() -> None:
        admin = await open_admin(Settings())
        subject = Subject.session if session else Subject.case
        if to is None:
            points = await admin.reset_points(target, subject=subject)
            if as_json:
                print_json(points)
                return
            for p in points:
                console.print(f"--to {p.seq}: undoes {p.trigger} and everything after it")
            return
        if dry_run:
            plan = await admin.reset_plan(target, to, subject=subject)
            if as_json:
                print_json(plan)
            else:
                print_plan(plan)
            return
        done = await admin.reset(target, to, _caller(), reason, subject=subject)
        if as_json:
            print_json(done)
            return
        print_plan(done.plan)
        console.print(
            f"reset: new run {done.new_run_id}; read model: {done.rows_repaired} row(s) repaired"
        )

    run(work)


def print_plan(plan: ResetPlan) -> None:
    console.print(
        f"{plan.subject} {plan.subject_id}: {plan.state_now} → {plan.state_after or '?'} "
        f"(reset to event {plan.reset_event_id}, {plan.events_dropped} history events dropped)"
    )
    for t in plan.replayed:
        console.print(f"  keep   {t.seq:>3} {t.trigger or '(created)'} → {t.dest}  {t.on or ''}")
    for t in plan.undone:
        console.print(f"  undo   {t.seq:>3} {t.trigger or ''} → {t.dest}  {t.on or ''}")
    if plan.subject is Subject.case:
        console.print(f"  read model: {plan.read_model_rows_to_delete} transition row(s) removed")
    for note in plan.notes:
        console.print(f"  note: {note}")


@app.command()
def failing(as_json: JsonOpt = False) -> None:
    """Workflows whose workflow task keeps failing, with the error."""

    async def work() -> None:
        admin = await open_admin(Settings())
        found = await admin.failing()
        if as_json:
            print_json(found)
            return
        table = Table(title=f"failing workflow tasks ({len(found)})")
        for col in ("workflow", "type", "attempt", "cause", "error", "Temporal UI"):
            table.add_column(col)
        for f in found:
            table.add_row(
                f.workflow_id, f.workflow_type, str(f.attempt), f.cause, f.error, f.ui_url
            )
        console.print(table)

    run(work)


@app.command()
def reconcile(
    reason: ReasonOpt = "reconcile on demand",
    as_json: JsonOpt = False,
) -> None:
    """Compare every case's and session's workflow with the read model; repair what differs."""

    async def work() -> None:
        admin = await open_admin(Settings())
        report = await admin.reconcile(_caller(), reason)
        if as_json:
            print_json(report)
            return
        console.print(
            f"checked {report.cases_checked} case(s), {report.sessions_checked} session(s): "
            f"{report.missing} missing, {report.stale} stale, {report.orphaned} orphaned "
            f"(repaired); {report.retained} ended kept, {report.unreadable} unreadable"
        )
        for line in report.repaired:
            console.print(f"  {line}")

    run(work)


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


@app.command("backup")
def backup_cmd(
    file: Annotated[Path, typer.Argument(help="the archive to write (.tar.gz)")],
    without_keys: Annotated[
        bool, typer.Option("--without-keys", help="leave the keyring and audit key out")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Back the running embedded system up into one archive: the engine's and the read
    model's databases (consistent copies while they are written), documents, evidence, the
    keys (unless --without-keys) and a manifest of SHA-256s. Run `admin reconcile` after a
    restore."""
    settings = Settings()
    checked(lambda: backup.sqlite_path(settings))  # the embedded system's, before recording
    checked(lambda: record_cli_action(settings, f"admin backup {file.name}"))
    done = checked(lambda: backup.backup(settings, file, keys=not without_keys))
    if as_json:
        print_json({**asdict(done), "path": str(done.path)})
        return
    keys = "with the keys: keep it as safe as var/keys/" if done.keys else "without keys"
    console.print(
        f"backup {done.path}: {done.files} files, {done.size / 1e6:.1f} MB, {keys} "
        f"({done.seconds:.1f} s)",
        highlight=False,
    )


@app.command("restore")
def restore_cmd(
    file: Annotated[Path, typer.Argument(help="an archive of `admin backup`")],
    into: Annotated[Path, typer.Option("--into", help="a fresh (absent or empty) data folder")],
    as_json: JsonOpt = False,
) -> None:
    """Restore an archive into a fresh data folder, refusing a non-empty folder and an archive
    that does not match its manifest. Then start it (TOSHIN_DATA_DIR=the folder ./toshin up)
    and run `admin reconcile`."""
    done = checked(lambda: backup.restore(file, into))
    if as_json:
        print_json({**asdict(done), "into": str(done.into)})
        return
    keys = "keys restored" if done.keys else "no keys in the archive: put them in keys/"
    console.print(
        f"restored {done.files} files into {done.into} ({keys}; {done.documents} documents "
        f"relocated) in {done.seconds:.1f} s; start it with TOSHIN_DATA_DIR={done.into}",
        highlight=False,
    )


@app.command()
def purge(
    reason: ReasonOpt,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only count; change nothing")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove audit records and case archives older than the retention
    (TOSHIN_RECORD_RETENTION_YEARS, default 10), with the purged cases' read-model rows; the
    audit chain keeps an anchor, so `audit verify` still passes. Audited; --dry-run counts."""
    settings = Settings()

    def work() -> PurgeResult:
        who = cli_who() if dry_run else _caller().who
        engine = make_engine(
            settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        try:
            retention = Retention(engine, load_audit_key(settings), settings.record_retention_years)
            return retention.purge(who, reason, dry_run=dry_run)
        finally:
            engine.dispose()

    done = checked(work)
    if as_json:
        print_json(done)
        return
    verb = "would remove" if done.dry_run else "removed"
    console.print(
        f"{verb} {done.audit_records} audit records and {done.archives} case archives from "
        f"before {done.cutoff:%Y-%m-%d} (retention {settings.record_retention_years} years)",
        highlight=False,
    )
