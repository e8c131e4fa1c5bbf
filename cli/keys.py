"""`starter.py keys ...`: the payload keyring (edge/codec.py). Ids and dates only, never keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.common import checked, console, print_json
from edge.audit import ensure_audit_key
from edge.codec import KeyringError, ensure_keyring, load_keyring, write_keyring
from edge.keyfiles import ensure_case_id_key
from settings import Settings

app = typer.Typer(help="The payload encryption keyring: init, rotate, list.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json")]


def _fail(err: KeyringError) -> typer.Exit:
    console.print(f"[red]{err}[/red]")
    return typer.Exit(1)


@app.command()
def init() -> None:
    """Create the key file, and the audit and case-id key files beside it (0600 in a 0700
    directory), unless they exist."""
    settings = Settings()
    keyring = ensure_keyring(settings.keyring.get_secret_value(), settings.keyring_path)
    console.print(f"keyring {settings.keyring_path}: current key {keyring.current}")
    checked(lambda: ensure_audit_key(settings))
    where = "TOSHIN_AUDIT_KEY" if settings.audit_key.get_secret_value() else settings.audit_key_path
    console.print(f"audit key {where}")
    checked(lambda: ensure_case_id_key(settings))
    keyed = settings.case_id_key.get_secret_value()
    console.print(f"case id key {'TOSHIN_CASE_ID_KEY' if keyed else settings.case_id_key_path}")


@app.command()
def rotate() -> None:
    """Add a new current key; the old keys stay to decrypt what they wrote. Restart the worker."""
    settings = Settings()
    if settings.keyring.get_secret_value():
        console.print("[red]TOSHIN_KEYRING is set: rotate the key file, then re-export it[/red]")
        raise typer.Exit(1)
    try:
        keyring = load_keyring("", settings.keyring_path).rotated()
    except KeyringError as err:
        raise _fail(err) from None
    write_keyring(keyring, settings.keyring_path)
    console.print(f"new current key {keyring.current}; restart the worker and the desk")


@app.command("list")
def list_keys(as_json: JsonOpt = False) -> None:
    """Key ids and creation dates (the key bytes are never shown)."""
    settings = Settings()
    try:
        keyring = load_keyring(settings.keyring.get_secret_value(), settings.keyring_path)
    except KeyringError as err:
        raise _fail(err) from None
    rows = [{**k.public(), "current": k.id == keyring.current} for k in keyring.keys]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "created", "current")
    for row in rows:
        table.add_row(str(row["id"]), str(row["created"]), "✓" if row["current"] else "")
    console.print(table)
