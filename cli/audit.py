"""`starter.py audit ...`: check the audit trail (and the transition log and the documents)
for tampering, and export a period's records for the 事務局 (edge/audit.py)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.common import checked, console, fail, print_json
from edge.audit import AuditTrail, cli_who, load_audit_key
from edge.codec import Keyring, KeyringError, load_keyring
from models.audit import AuditAction
from models.errors import InvalidPayload
from persistence.database import make_engine
from settings import Settings

app = typer.Typer(help="The audit trail: verify it, export a period as CSV.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json")]


def _trail(settings: Settings) -> AuditTrail:
    sealer = load_audit_key(settings)
    engine = make_engine(
        settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    try:
        keyring: Keyring | None = load_keyring(
            settings.keyring.get_secret_value(), settings.keyring_path
        )
    except KeyringError:
        keyring = None  # a sealed file is then named as one that does not open
    return AuditTrail(
        engine,
        sealer,
        documents_dir=settings.documents_path,
        evidence_dir=settings.evidence_path,
        keyring=keyring,
    )


def _day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidPayload(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


@app.command()
def verify(as_json: JsonOpt = False) -> None:
    """Check every audit record's chain link, every transition row's MAC and the SHA-256 of
    every document and evidence file; name each record edited, deleted or reordered and each
    file replaced or missing. Exit 1 on any finding."""
    report = checked(lambda: _trail(Settings()).verify())
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "records": report.records,
                "transitions": report.transitions,
                "documents": report.documents,
                "evidence": report.evidence,
                "findings": [
                    {"kind": f.kind.value, "where": f.where, "detail": f.detail}
                    for f in report.findings
                ],
            }
        )
    else:
        checked_what = (
            f"{report.records} audit records, {report.transitions} transition rows, "
            f"{report.documents} documents, {report.evidence} evidence files"
        )
        if report.first is None:
            console.print(f"ok: {checked_what} verified", highlight=False)
        else:
            console.print(f"TAMPERED: first {report.first.line()}", highlight=False)
            for finding in report.findings:
                console.print(f"  {finding.line()}", highlight=False, soft_wrap=True)
            console.print(f"{len(report.findings)} findings in {checked_what}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def adopt() -> None:
    """Seal the transition rows written before the audit trail (no MAC yet), once after an
    upgrade; recorded as an admin action. Later edits to them are then caught by verify."""
    settings = Settings()
    sealed = checked(lambda: _trail(settings).adopt_unsigned_transitions(cli_who()))
    console.print(f"sealed {sealed} transition rows", highlight=False)


@app.command()
def export(
    from_: Annotated[str, typer.Option("--from", help="first day (YYYY-MM-DD, in Japan)")],
    to: Annotated[str, typer.Option("--to", help="last day (YYYY-MM-DD, in Japan), inclusive")],
    out: Annotated[
        Path | None, typer.Option("--out", help="file to write (default: stdout)")
    ] = None,
) -> None:
    """The records of a period as CSV (UTF-8 with BOM, opens in Excel) for the 事務局."""
    settings = Settings()

    def work() -> str:
        since, until = _day(from_, "from"), _day(to, "to")
        trail = _trail(settings)
        text = trail.export_csv(since, until)
        trail.record(cli_who(), AuditAction.admin_action, detail=f"audit export {since}..{until}")
        return text

    text = checked(work)
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as err:
        raise fail(f"InvalidPayload: out: cannot write {out}: {err.strerror}") from None
    console.print(f"wrote {out}", highlight=False)
