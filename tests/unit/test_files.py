"""Files at rest without a server: written 0600 in 0700 folders, sealed with the keyring when
asked and bound to their case and name; `audit verify` hashes the plain bytes of documents
and of every evidence file a transition names, and names each replaced or missing file."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from edge.audit import AuditTrail
from edge.documents import verified_bytes
from edge.evidence import EvidenceStore, check_upload
from models.case.states import CaseState
from models.errors import FileTampered
from models.projection import CaseSummary
from persistence.database import make_engine
from persistence.files import (
    MAGIC,
    SealedFileError,
    plain_sha256,
    read_plain,
    write_private,
)
from persistence.repository import project_transition
from persistence.tables import DocumentRow
from settings import Settings
from tests.keys import TEST_AUDIT_KEY_ENV, TEST_AUDIT_SEALER, TEST_KEYRING, TEST_KEYRING_ENV
from tests.unit.test_audit import T0, _transition
from tests.unit.test_people import engine  # noqa: F401  (the fixture: SQLite and PostgreSQL)

PDF = "%PDF-1.7 answer to 山田太郎".encode()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_owner_only_and_sealed_files_open_only_where_they_were_written(
    tmp_path: Path,
) -> None:
    root = tmp_path / "documents"
    plain, sealed = root / "case-a" / "plain.pdf", root / "case-a" / "sealed.pdf"
    write_private(plain, PDF, root=root)
    write_private(sealed, PDF, root=root, keyring=TEST_KEYRING)
    assert plain.read_bytes() == PDF
    raw = sealed.read_bytes()
    assert raw.startswith(MAGIC) and b"%PDF" not in raw and "山田".encode() not in raw
    assert (_mode(plain), _mode(sealed), _mode(root / "case-a"), _mode(root)) == (
        0o600, 0o600, 0o700, 0o700,
    )  # fmt: skip
    assert read_plain(sealed, TEST_KEYRING) == read_plain(plain, None) == PDF
    assert plain_sha256(sealed, TEST_KEYRING) == hashlib.sha256(PDF).hexdigest()
    with pytest.raises(SealedFileError, match="no keyring"):
        read_plain(sealed, None)
    moved = root / "case-b" / "sealed.pdf"
    write_private(moved, b"", root=root)
    moved.write_bytes(raw)  # another case's folder: the seal is bound to case-a
    with pytest.raises(SealedFileError, match="does not open"):
        read_plain(moved, TEST_KEYRING)


def _evidence_acts(db: Engine, case_id: str, shas: list[str]) -> None:
    """A case whose acts 1… each name an uploaded file, as submit_evidence records it."""
    with Session(db) as session:
        for seq, sha in enumerate(["", *shas]):
            record = _transition(seq, None, CaseState.active).model_copy(
                update={"reason": f"条件{seq}: 契約書.pdf (sha256:{sha})" if sha else None}
            )
            summary = CaseSummary(
                case_id=case_id, external_ref=None, title="件名", kind="outsourcing",
                category="consultation", department="保健センター", state="active",
                fiscal_year=2026, seq=seq, next_deadline=None, next_deadline_what=None,
                parent_case=None,
            )  # fmt: skip
            project_transition(
                session, summary=summary, transition=record, now=T0, sealer=TEST_AUDIT_SEALER
            )
        session.commit()


def test_verify_names_replaced_or_missing_evidence_and_opens_sealed_files(
    engine: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    evidence = tmp_path / "evidence"
    documents = tmp_path / "documents"
    kept, replaced, gone = (f"{n}" * 64 for n in "abc")
    contents = {kept: b"%PDF-1.7 kept", replaced: b"%PDF-1.7 replaced", gone: b"%PDF-1.7 gone"}
    shas = []
    for name, content in contents.items():
        sha = hashlib.sha256(content).hexdigest()
        shas.append(sha)
        write_private(evidence / "case-e" / f"{sha}.pdf", content, root=evidence,
                      keyring=TEST_KEYRING if name == kept else None)  # fmt: skip
    _evidence_acts(engine, "case-e", shas)
    write_private(documents / "case-e" / "toshinsho-v1.pdf", PDF, root=documents,
                  keyring=TEST_KEYRING)  # fmt: skip
    with Session(engine) as session:
        session.add(
            DocumentRow(
                id="doc-1", subject="case", subject_id="case-e", doc_type="toshinsho",
                format="pdf", data_version="1", path=str(documents / "case-e" / "toshinsho-v1.pdf"),
                size=len(PDF), sha256=hashlib.sha256(PDF).hexdigest(), template="toshinsho",
                generated_at=T0,
            )
        )  # fmt: skip
        session.commit()
    trail = AuditTrail(engine, TEST_AUDIT_SEALER, documents_dir=documents,
                       evidence_dir=evidence, keyring=TEST_KEYRING)  # fmt: skip
    report = trail.verify()
    assert report.ok, [f.line() for f in report.findings]
    assert (report.documents, report.evidence) == (1, 3)

    (evidence / "case-e" / f"{shas[1]}.pdf").write_bytes(b"%PDF-1.7 something else")
    (evidence / "case-e" / f"{shas[2]}.pdf").unlink()
    lines = [f.line() for f in trail.verify().findings]
    assert lines == [
        f"evidence case-e {shas[1][:12]}: file_replaced: {evidence / 'case-e' / shas[1]}.pdf "
        "does not hash to its stored SHA-256",
        f"evidence case-e {shas[2][:12]}: file_missing: {evidence / 'case-e' / shas[2]}.* is gone",
    ]
    blind = AuditTrail(engine, TEST_AUDIT_SEALER, documents_dir=documents, evidence_dir=evidence)
    assert [f.where for f in blind.verify().findings][:2] == [
        "document doc-1",
        f"evidence case-e {shas[0][:12]}",
    ]  # sealed, and no keyring to open them: named, never passed


def test_starter_audit_verify_names_a_replaced_evidence_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import starter

    monkeypatch.setenv("TOSHIN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TOSHIN_KEYRING", TEST_KEYRING_ENV)
    monkeypatch.setenv("TOSHIN_AUDIT_KEY", TEST_AUDIT_KEY_ENV)
    monkeypatch.delenv("TOSHIN_DATABASE_URL", raising=False)
    db = make_engine(f"sqlite:///{tmp_path / 'read_model.db'}")
    content = b"%PDF-1.7 the signed contract"
    sha = hashlib.sha256(content).hexdigest()
    evidence = tmp_path / "evidence"
    write_private(evidence / "case-e" / f"{sha}.pdf", content, root=evidence,
                  keyring=TEST_KEYRING)  # fmt: skip
    _evidence_acts(db, "case-e", [sha])
    db.dispose()

    result = CliRunner().invoke(starter.app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "0 documents, 1 evidence files verified" in result.output

    write_private(evidence / "case-e" / f"{sha}.pdf", b"%PDF-1.7 another", root=evidence)
    result = CliRunner().invoke(starter.app, ["audit", "verify"])
    assert result.exit_code == 1
    assert " ".join(result.output.split()).startswith(
        f"TAMPERED: first evidence case-e {sha[:12]}: file_replaced: "
        f"{evidence / 'case-e' / sha}.pdf does not hash to its stored SHA-256"
    )


def test_evidence_is_sealed_with_encrypt_documents_and_read_back_plain(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, keyring=SecretStr(TEST_KEYRING_ENV), encrypt_documents=True
    )
    content = "氏名,電話\n山田太郎,090-1111-2222\n".encode()
    upload = check_upload("名簿.csv", content)
    store = EvidenceStore(settings)
    assert store.store("case-e", upload, content)
    path = settings.evidence_path / "case-e" / f"{upload.sha256}.csv"
    raw = path.read_bytes()
    assert raw.startswith(MAGIC) and "山田".encode() not in raw and b"090-1111" not in raw
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    assert verified_bytes(path, upload.sha256, settings.evidence_path, settings) == content
    path.write_bytes(raw[:-2] + b"xx")  # the tag no longer verifies
    with pytest.raises(FileTampered, match="does not open"):
        verified_bytes(path, upload.sha256, settings.evidence_path, settings)
