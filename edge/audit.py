"""The audit trail: every login, logout, read of a case, act, download, admin action and codec
decode is one append-only record (who, role, what, which case, when in UTC, from where),
chained by HMAC-SHA256 with a key kept outside the database.

- ``record`` appends under the chain head's lock (persistence/audit.py), safe with
  concurrent desk requests on SQLite and PostgreSQL.
- ``verify`` (edge/audit_verify.py) walks the chain and names every record that was edited,
  deleted or reordered; it also checks every transition row against its MAC (written by the
  projection activity, see persistence/seal.py) and that each case's log has no gap, and
  every generated document file against its stored SHA-256.
- ``export_csv`` writes a period's records for the 事務局 (UTF-8 with BOM, for Excel).

The key: ``TOSHIN_AUDIT_KEY`` (base64 of 32 bytes) or the key file beside the payload keyring
(``var/keys/audit.key``, created 0600 in a 0700 folder on first start). Without the key
nobody can write a record that verifies; a cut-off tail shows against the head row, though a
person who can write the database and drops the newest records *and* rewinds the head is
only caught by an earlier export (keep them).
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import getpass
import io
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from edge.audit_verify import VerifyReport, verify_trail
from edge.codec import Keyring, ensure_keyring
from edge.keyfiles import create_key_file
from models.audit import AuditAction
from models.calendar.clock import JST
from models.errors import CaseError, InvalidPayload
from models.labels import AUDIT_ACTION_LABELS
from persistence import audit as repo
from persistence.database import make_engine
from persistence.people import PeopleBook
from persistence.seal import KEY_BYTES, Sealer, utc_text
from settings import Settings

CLI_SOURCE = "cli"


class AuditKeyError(CaseError):
    """The audit key is missing or malformed."""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- the key ------------------------------------------------------------------------------


def _sealer_of(text: str, where: str) -> Sealer:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise AuditKeyError(f"{where}: not base64 of a {KEY_BYTES}-byte key") from None
    if len(key) != KEY_BYTES:
        raise AuditKeyError(f"{where}: the key is {len(key)} bytes, not {KEY_BYTES}")
    return Sealer(key)


def load_audit_key(settings: Settings) -> Sealer:
    """The audit key from ``TOSHIN_AUDIT_KEY`` when set, else from the key file."""
    env = settings.audit_key.get_secret_value()
    if env:
        return _sealer_of(env, "TOSHIN_AUDIT_KEY")
    path = settings.audit_key_path
    try:
        return _sealer_of(path.read_text(encoding="ascii"), str(path))
    except FileNotFoundError:
        raise AuditKeyError(
            f"no audit key at {path} and TOSHIN_AUDIT_KEY is unset: start with `./toshin up` "
            "(it creates one), or point TOSHIN_AUDIT_KEY_FILE at the key that wrote the trail"
        ) from None


def ensure_audit_key(settings: Settings) -> Sealer:
    """The configured audit key; a new key file (0600, 0700 folder) when there is none. Two
    processes starting at once end up with the same key (the file is linked in, never
    overwritten)."""
    if not settings.audit_key.get_secret_value():
        create_key_file(settings.audit_key_path)
    return load_audit_key(settings)


def people_book(settings: Settings) -> PeopleBook:
    """The sealed ``people`` table's book: the payload keyring seals, the audit key makes refs
    (both created on first start when missing, like the worker's)."""
    return PeopleBook(keyring_of(settings), ensure_audit_key(settings))


def file_keyring(settings: Settings) -> Keyring | None:
    """The keyring that seals new document and evidence files: only with
    ``encrypt_documents`` on (reading a sealed file always takes ``keyring_of``)."""
    return keyring_of(settings) if settings.encrypt_documents else None


def keyring_of(settings: Settings) -> Keyring:
    """The payload keyring (created on first start when missing, like the worker's)."""
    return ensure_keyring(settings.keyring.get_secret_value(), settings.keyring_path)


# -- who did it ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    """The person, their roles and where the request came from."""

    actor: str
    role: str
    source: str


def cli_who(actor: str | None = None) -> Who:
    """Who acts on the command line: the named admin or the OS user, from this host."""
    return Who(
        actor=actor or getpass.getuser(),
        role="admin",
        source=f"{CLI_SOURCE}@{socket.gethostname()}",
    )


def record_cli_action(
    settings: Settings,
    detail: str,
    *,
    case_id: str | None = None,
    actor: str | None = None,
    action: AuditAction = AuditAction.admin_action,
) -> None:
    """An admin action (or ``action``, e.g. a read of an archived case) taken on the command
    line: the named account (or the OS user), from this host."""
    who = cli_who(actor)
    engine = make_engine(
        settings.read_model_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    try:
        trail = AuditTrail(engine, ensure_audit_key(settings))
        trail.record(who, action, case_id=case_id, detail=detail)
    finally:
        engine.dispose()


CSV_HEADER = [
    "連番", "日時(UTC)", "日時(日本時間)", "利用者", "役割", "操作", "操作(コード)", "案件",
    "詳細", "接続元",
]  # fmt: skip


class AuditTrail:
    """Record, verify and export the audit trail of one read model."""

    def __init__(
        self,
        engine: Engine,
        sealer: Sealer,
        *,
        documents_dir: Path | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
        evidence_dir: Path | None = None,
        keyring: Keyring | None = None,
    ) -> None:
        self.engine = engine
        self.sealer = sealer
        self.documents_dir = documents_dir
        self.evidence_dir = evidence_dir
        self.keyring = keyring  # opens sealed files (encrypt_documents) to hash them
        self.clock = clock

    def record(
        self, who: Who, action: AuditAction, *, case_id: str | None = None, detail: str = ""
    ) -> int:
        """Append one record; its seq."""
        return repo.append_record(
            self.engine,
            self.sealer,
            self.clock,
            actor=who.actor[:40],
            role=who.role[:200],
            action=action.value,
            case_id=case_id,
            detail=detail[:500],
            source=who.source[:100],
        )

    # -- verify ---------------------------------------------------------------------------

    def verify(self) -> VerifyReport:
        """Every finding: the audit chain's first (in seq order), then the transition log's,
        then the documents', then the evidence files' (edge/audit_verify.py)."""
        return verify_trail(
            self.engine, self.sealer, self.documents_dir, self.evidence_dir, self.keyring
        )

    def adopt_unsigned_transitions(self, who: Who) -> int:
        """Seal the transition rows written before the audit trail existed (they carry no MAC);
        the adoption itself is a record. Run it once after upgrading, on a log you trust."""
        sealed = repo.seal_unsigned_transitions(self.engine, self.sealer)
        if sealed:
            detail = f"sealed {sealed} transition rows written before the audit trail"
            self.record(who, AuditAction.admin_action, detail=detail)
        return sealed

    # -- export ---------------------------------------------------------------------------

    def export_csv(self, since: dt.date, until: dt.date) -> str:
        """The records of the days ``since`` … ``until`` (inclusive, days in Japan) as CSV."""
        if until < since:
            raise InvalidPayload(f"to: {until} is before from ({since})")
        start = dt.datetime.combine(since, dt.time(), JST)
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), JST)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        with self.engine.connect() as conn:
            for row in repo.iter_records(conn, since=start, until=end):
                writer.writerow(_csv_row(row))
        return "\ufeff" + out.getvalue()  # the BOM: Excel opens it as UTF-8


def _csv_row(row: Any) -> list[str]:
    at = utc_text(row.at)
    local = dt.datetime.fromisoformat(at).astimezone(JST).isoformat(timespec="seconds")
    try:
        label = AUDIT_ACTION_LABELS[AuditAction(row.action)]
    except ValueError:
        label = row.action
    return [
        str(row.seq), at, local, _cell(row.actor), _cell(row.role), label, row.action,
        _cell(row.case_id or ""), _cell(row.detail), _cell(row.source),
    ]  # fmt: skip


def _cell(text: str) -> str:
    """Text a spreadsheet must not run as a formula (a refused act's name comes from the URL)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
