"""Backup archives (edge/backup.py) without a server: what goes in, and every way a restore
refuses (a non-empty target, a changed, missing or extra member, an edited manifest, a
PostgreSQL read model for backup). The round trip with a running system is in
tests/integration/test_backup.py."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from edge import backup
from edge.audit import ensure_audit_key
from edge.codec import ensure_keyring
from models.errors import FileTampered, InvalidPayload
from persistence.database import make_engine
from settings import Settings


@pytest.fixture
def data_dir(tmp_path: Path) -> Settings:
    """A data folder as `./toshin up` leaves it: both databases, a document, keys."""
    settings = Settings(data_dir=tmp_path / "var", database_url="", documents_dir=None)
    settings.data_dir.mkdir()
    ensure_keyring("", settings.keyring_path)
    ensure_audit_key(settings)
    engine = make_engine(settings.read_model_url)
    doc = settings.documents_path / "case1" / "toshinsho-v8.pdf"
    doc.parent.mkdir(parents=True)
    doc.write_bytes(b"%PDF-1.7 drill")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO documents (id, subject, subject_id, doc_type, format, data_version,"
                " sha256, path, size, template, generated_at) VALUES ('d1', 'case', 'case1',"
                " 'toshinsho', 'pdf', '8', 'x', :path, 14, 't', :at)"
            ),
            {"path": str(doc), "at": dt.datetime.now(dt.UTC)},
        )
    engine.dispose()
    with sqlite3.connect(backup.engine_db(settings)) as server_db:
        server_db.execute("CREATE TABLE executions (id TEXT)")
        server_db.execute("INSERT INTO executions VALUES ('case-1')")
    server_db.close()
    return settings


def rewrite(archive: Path, target: Path, change: dict[str, bytes | None]) -> None:
    """A copy of ``archive`` with members replaced (bytes), removed (None) or added."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member)
            assert data is not None
            body = change.pop(member.name, data.read())
            if body is not None:
                member.size = len(body)
                dst.addfile(member, io.BytesIO(body))
        for name, body in change.items():
            assert body is not None
            info = tarfile.TarInfo(name)
            info.size = len(body)
            dst.addfile(info, io.BytesIO(body))


def test_an_archive_restores_into_a_fresh_folder_with_documents_relocated(
    data_dir: Settings, tmp_path: Path
) -> None:
    done = backup.backup(data_dir, tmp_path / "b.tar.gz")
    assert done.keys and done.files == 5  # two databases, one document, two keys
    assert (done.path.stat().st_mode & 0o777) == 0o600
    with tarfile.open(done.path) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert set(manifest["files"]) == {
        "read_model.db",
        "temporal.db",
        "documents/case1/toshinsho-v8.pdf",
        "keys/keyring.json",
        "keys/audit.key",
    }

    into = tmp_path / "restored"
    restored = backup.restore(done.path, into)
    assert restored.keys and restored.documents == 1
    assert (into / "documents/case1/toshinsho-v8.pdf").read_bytes() == b"%PDF-1.7 drill"
    assert (into / "keys/keyring.json").read_bytes() == data_dir.keyring_path.read_bytes()
    assert (into / "keys/keyring.json").stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(into / "temporal.db") as conn:
        assert conn.execute("SELECT id FROM executions").fetchall() == [("case-1",)]
    conn.close()
    with sqlite3.connect(into / "read_model.db") as conn:
        assert conn.execute("SELECT path FROM documents").fetchall() == [
            ("case1/toshinsho-v8.pdf",)
        ]
    conn.close()
    assert not list(tmp_path.glob(".toshin-*"))  # no staging folder left behind


def test_without_keys_the_archive_holds_none_and_restore_needs_the_audit_key(
    data_dir: Settings, tmp_path: Path
) -> None:
    done = backup.backup(data_dir, tmp_path / "b.tar.gz", keys=False)
    assert not done.keys and done.files == 3
    restored = backup.restore(done.path, tmp_path / "r", settings=data_dir)
    assert not restored.keys and not (tmp_path / "r" / "keys").exists()
    other = Settings(data_dir=tmp_path / "elsewhere")
    ensure_audit_key(other)  # another system's key: the manifest does not verify
    with pytest.raises(FileTampered, match="does not verify"):
        backup.restore(done.path, tmp_path / "r2", settings=other)
    assert not (tmp_path / "r2").exists()


def test_a_non_empty_target_is_refused(data_dir: Settings, tmp_path: Path) -> None:
    done = backup.backup(data_dir, tmp_path / "b.tar.gz")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "temporal.db").write_bytes(b"someone's")
    with pytest.raises(InvalidPayload, match=r"--into: .* is not empty"):
        backup.restore(done.path, tmp_path / "busy")
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["temporal.db"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"documents/case1/toshinsho-v8.pdf": b"%PDF-1.7 forged"}, "does not hash"),
        ({"temporal.db": None}, "members differ"),
        ({"documents/case1/extra.pdf": b"planted"}, "members differ"),
        ({"../escape": b"x"}, "not a plain file"),
        ({"manifest.json": b"{}"}, "manifest"),
    ],
    ids=["changed", "missing", "extra", "outside", "manifest"],
)
def test_a_tampered_archive_is_refused_and_nothing_is_restored(
    data_dir: Settings, tmp_path: Path, change: dict[str, bytes | None], message: str
) -> None:
    done = backup.backup(data_dir, tmp_path / "b.tar.gz")
    forged = tmp_path / "forged.tar.gz"
    rewrite(done.path, forged, change)
    with pytest.raises(FileTampered, match=message):
        backup.restore(forged, tmp_path / "r")
    assert not (tmp_path / "r").exists()
    assert not list(tmp_path.glob(".toshin-*"))


def test_an_edited_manifest_with_matching_hashes_fails_its_mac(
    data_dir: Settings, tmp_path: Path
) -> None:
    done = backup.backup(data_dir, tmp_path / "b.tar.gz")
    with tarfile.open(done.path) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    manifest["documents_dir"] = "/somewhere/else"  # every hash still matches its member
    forged = tmp_path / "forged.tar.gz"
    rewrite(done.path, forged, {"manifest.json": json.dumps(manifest).encode()})
    with pytest.raises(FileTampered, match="does not verify under the audit key"):
        backup.restore(forged, tmp_path / "r")


def test_a_postgresql_read_model_is_not_backed_up_here(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://x@127.0.0.1/db")
    with pytest.raises(InvalidPayload, match=r"TOSHIN_DATABASE_URL: .*pg_dump"):
        backup.backup(settings, tmp_path / "b.tar.gz")


def test_the_cli_says_one_line_for_a_refused_backup_and_restore(
    data_dir: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import starter

    monkeypatch.setenv("TOSHIN_DATA_DIR", str(data_dir.data_dir))
    for name in ("TOSHIN_KEYRING", "TOSHIN_AUDIT_KEY", "TOSHIN_DOCUMENTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TOSHIN_DATABASE_URL", "postgresql+psycopg://x@127.0.0.1/db")
    result = CliRunner().invoke(starter.app, ["admin", "backup", str(tmp_path / "b.tar.gz")])
    assert result.exit_code == 1
    assert result.output.startswith("error: InvalidPayload: TOSHIN_DATABASE_URL:"), result.output
    assert "Traceback" not in result.output

    monkeypatch.setenv("TOSHIN_DATABASE_URL", "")
    archive = tmp_path / "b.tar.gz"
    result = CliRunner().invoke(starter.app, ["admin", "backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "5 files" in result.output and "with the keys" in result.output
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    result = CliRunner().invoke(
        starter.app,
        ["admin", "restore", str(tmp_path / "junk.tar.gz"), "--into", str(tmp_path / "r")],
    )
    assert result.exit_code == 1
    assert result.output.startswith("error: FileTampered: "), result.output
    result = CliRunner().invoke(
        starter.app, ["admin", "restore", str(archive), "--into", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    assert "restored 5 files" in " ".join(result.output.split())
