"""Backup and restore of the embedded system: one archive of a data folder, taken while it runs.

An archive (tar, gzip) holds::

    manifest.json          format, when, the documents folder it came from, whether it holds
                           keys, and every other member's SHA-256 and size; MAC'd with the
                           audit key (``manifest.mac``)
    manifest.mac           HMAC-SHA256 of manifest.json under the audit key
    read_model.db          the read model (cases, transitions, outbox, users, audit trail)
    documents/…            the generated documents
    evidence/…             the uploaded evidence files
    temporal.db            the dev server's database (every workflow's history)
    keys/keyring.json      the payload keyring  ┐ unless --without-keys: then the operator
    keys/audit.key         the audit key        ┘ keeps them apart (and gives them on restore)

Both databases are copied with SQLite's online backup API (a consistent snapshot each, while
the server and the worker write). The read model is copied first, then the files, then the
engine: the engine's copy is the newer, so nothing the read model lists is missing from it;
``admin reconcile`` after the restore writes the rows of the moments in between. Restore
refuses a target folder that is not empty, an archive whose members do not match its manifest
(changed, missing, extra, or a path outside the folder) and a manifest whose MAC does not
verify; documents' paths are made relative to the new documents folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import SecretStr

from edge.audit import load_audit_key
from models.errors import FileNotFound, FileTampered, InvalidPayload
from persistence.seal import Sealer
from settings import Settings

FORMAT = "toshin-backup/1"
MANIFEST = "manifest.json"
MAC = "manifest.mac"
ENGINE_DB = "temporal.db"
READ_MODEL_DB = "read_model.db"
KEYRING = "keys/keyring.json"
AUDIT_KEY = "keys/audit.key"
_MAC_DOMAIN = b"toshin-backup-manifest\0"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    files: int  # members besides the manifest
    size: int  # bytes of the archive
    keys: bool  # whether the archive holds the keys
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    into: Path
    files: int
    keys: bool
    documents: int  # document rows whose path now points into the new folder
    seconds: float


def engine_db(settings: Settings) -> Path:
    """The dev server's database, where `./toshin up` keeps it."""
    return settings.data_dir / ENGINE_DB


def sqlite_path(settings: Settings) -> Path:
    """The read model's SQLite file; InvalidPayload for another database."""
    url = settings.read_model_url
    if not url.startswith("sqlite:///"):
        raise InvalidPayload(
            "TOSHIN_DATABASE_URL: backup covers the embedded system (SQLite read model); "
            "back a PostgreSQL read model up with pg_dump"
        )
    return Path(url.removeprefix("sqlite:///"))


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (the online backup API), as one file."""
    if not source.is_file():
        raise FileNotFound(f"{source}: no such database")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # self-contained: no -wal beside it
    finally:
        dst.close()
        src.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_mac(sealer: Sealer, manifest: bytes) -> str:
    return hmac.digest(sealer.key, _MAC_DOMAIN + manifest, hashlib.sha256).hex()


def backup(settings: Settings, out: Path, *, keys: bool = True) -> BackupResult:
    """Write the archive of the running system's data folder to ``out`` (0600)."""
    started = time.monotonic()
    read_model = sqlite_path(settings)
    sealer = load_audit_key(settings)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".toshin-backup-") as tmp:
        stage = Path(tmp)
        members: dict[str, Path] = {}
        copy_sqlite(read_model, stage / READ_MODEL_DB)
        members[READ_MODEL_DB] = stage / READ_MODEL_DB
        for name, folder in (
            ("documents", settings.documents_path),
            ("evidence", settings.data_dir / "evidence"),
        ):
            if folder.is_dir():
                for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                    members[f"{name}/{path.relative_to(folder).as_posix()}"] = path
        copy_sqlite(engine_db(settings), stage / ENGINE_DB)
        members[ENGINE_DB] = stage / ENGINE_DB
        with_keys = keys and settings.keyring_path.is_file() and settings.audit_key_path.is_file()
        if with_keys:
            members[KEYRING] = settings.keyring_path
            members[AUDIT_KEY] = settings.audit_key_path
        # files are hashed as staged (documents are written once, atomically, never changed)
        staged = {
            name: (path, _sha256(path), path.stat().st_size) for name, path in members.items()
        }
        manifest = json.dumps(
            {
                "format": FORMAT,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "documents_dir": str(settings.documents_path),  # as the worker wrote it
                "keys": with_keys,
                "files": {n: {"sha256": h, "size": s} for n, (_, h, s) in sorted(staged.items())},
            },
            indent=1,
            sort_keys=True,
        ).encode()
        (stage / MANIFEST).write_bytes(manifest)
        (stage / MAC).write_text(manifest_mac(sealer, manifest), encoding="ascii")
        partial = stage / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(stage / MANIFEST, MANIFEST)
            tar.add(stage / MAC, MAC)
            for name, (path, _, _) in sorted(staged.items()):
                tar.add(path, name)
        os.chmod(partial, 0o600)
        os.replace(partial, out)
    return BackupResult(out, len(staged), out.stat().st_size, with_keys, time.monotonic() - started)


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts


def restore(archive: Path, into: Path, *, settings: Settings | None = None) -> RestoreResult:
    """Unpack ``archive`` into ``into`` (absent or empty), every member checked against the
    manifest and the manifest against its MAC (the archive's audit key, or for an archive
    without keys the one ``settings`` name)."""
    started = time.monotonic()
    if into.exists() and (not into.is_dir() or any(into.iterdir())):
        raise InvalidPayload(f"--into: {into} is not empty: restore only into a fresh data folder")
    if not archive.is_file():
        raise FileNotFound(f"{archive}: no such backup")
    into.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=into.parent, prefix=".toshin-restore-"))
    try:
        manifest = _unpack(archive, stage)
        sealer = _sealer_in(stage) if manifest["keys"] else load_audit_key(settings or Settings())
        if not hmac.compare_digest(
            manifest_mac(sealer, (stage / MANIFEST).read_bytes()),
            (stage / MAC).read_text(encoding="ascii").strip(),
        ):
            raise FileTampered(f"{archive}: the manifest does not verify under the audit key")
        (stage / MANIFEST).unlink()
        (stage / MAC).unlink()
        documents = _relocate_documents(stage / READ_MODEL_DB, str(manifest["documents_dir"]))
        if manifest["keys"]:
            os.chmod(stage / "keys", 0o700)
            for key in (KEYRING, AUDIT_KEY):
                os.chmod(stage / key, 0o600)
        if into.exists():
            into.rmdir()
        os.replace(stage, into)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    files = len(manifest["files"])
    return RestoreResult(into, files, bool(manifest["keys"]), documents, time.monotonic() - started)


def _unpack(archive: Path, stage: Path) -> dict[str, Any]:
    """Extract every member into ``stage``; FileTampered unless they are exactly the
    manifest's files with its hashes."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            names = tar.getnames()
            for member in tar.getmembers():
                if not (member.isfile() and _safe(member.name)):
                    raise FileTampered(f"{archive}: member {member.name!r} is not a plain file")
            tar.extractall(stage, filter="data")
    except (tarfile.TarError, OSError, EOFError) as err:
        raise FileTampered(f"{archive}: not a readable toshin backup ({err})") from None
    try:
        manifest = json.loads((stage / MANIFEST).read_bytes())
        files = manifest["files"]
        assert manifest["format"] == FORMAT and isinstance(files, dict)
    except (OSError, ValueError, KeyError, AssertionError, TypeError):
        raise FileTampered(f"{archive}: no {FORMAT} manifest") from None
    extra = sorted(set(names) - set(files) - {MANIFEST, MAC})
    missing = sorted(set(files) - set(names))
    if extra or missing:
        raise FileTampered(f"{archive}: members differ from the manifest: {extra or missing}")
    for name, entry in files.items():
        if _sha256(stage / name) != entry["sha256"]:
            raise FileTampered(f"{archive}: {name} does not hash to its manifest SHA-256")
    return dict(manifest)


def _sealer_in(stage: Path) -> Sealer:
    return load_audit_key(Settings(audit_key=SecretStr(""), audit_key_file=stage / AUDIT_KEY))


def _relocate_documents(read_model: Path, old_dir: str) -> int:
    """Document rows under the old documents folder now name their file relative to the
    documents folder (``audit verify`` and the desk resolve it there)."""
    conn = sqlite3.connect(read_model)
    try:
        with conn:
            cur = conn.execute(
                "UPDATE documents SET path = substr(path, ?) WHERE substr(path, 1, ?) = ?",
                (len(old_dir) + 2, len(old_dir) + 1, old_dir + "/"),
            )
            return cur.rowcount
    finally:
        conn.close()
