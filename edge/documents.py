"""Documents on demand: check a request, run one DocumentWorkflow, list what was stored, and
read a stored file back only when it still hashes to the SHA-256 recorded when it was made."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session
from temporalio.client import Client

from edge.audit import keyring_of
from edge.errors import translated
from models.documents.spec import (
    DOC_SUBJECT,
    DocFormat,
    DocType,
    DocumentInfo,
    DocumentRequest,
    GenerateDocumentResult,
    Subject,
)
from models.errors import FileNotFound, FileTampered, InvalidPayload
from models.ids import document_workflow_id
from persistence import repository
from persistence.database import make_engine
from persistence.files import SealedFileError, is_sealed, read_plain
from settings import Settings
from workflows.documents import DocumentWorkflow


def document_request(
    case: str | None, session: str | None, doc_type: str, fmt: str, public: bool
) -> DocumentRequest:
    """What to generate, from a case or a session; InvalidPayload when it does not fit."""
    if (case is None) == (session is None):
        raise InvalidPayload("give --case <id> or --session <id> (one of them)")
    try:
        kind = DocType(doc_type)
    except ValueError:
        known = ", ".join(t.value for t in DocType)
        raise InvalidPayload(f"--type: unknown document type {doc_type!r} ({known})") from None
    if public:
        if kind not in (DocType.kaigiroku, DocType.kaigiroku_public):
            raise InvalidPayload("--public is for the minutes (--type kaigiroku) only")
        kind = DocType.kaigiroku_public
    wanted = Subject.case if case is not None else Subject.session
    if DOC_SUBJECT[kind] is not wanted:
        raise InvalidPayload(f"--type {kind.value} is made from a {DOC_SUBJECT[kind].value}")
    formats = list(DocFormat) if fmt == "both" else [DocFormat(fmt)]
    subject_id = case if case is not None else session
    assert subject_id is not None
    return DocumentRequest(doc_type=kind, subject_id=subject_id, formats=formats)


async def generate(client: Client, settings: Settings, req: DocumentRequest) -> list[DocumentInfo]:
    """Run one DocumentWorkflow and answer the stored files; domain errors come back typed."""
    workflow_id = document_workflow_id(req.subject_id, req.doc_type.value, uuid.uuid4().hex[:8])
    with translated(f"document {req.doc_type.value} for {req.subject_id}"):
        result: GenerateDocumentResult = await client.execute_workflow(
            DocumentWorkflow.run, req, id=workflow_id, task_queue=settings.task_queue
        )
    return result.documents


def list_documents(
    settings: Settings,
    *,
    case: str | None = None,
    session: str | None = None,
    doc_type: str | None = None,
) -> list[DocumentInfo]:
    """The generated documents, from the read model."""
    if case is not None and session is not None:
        raise InvalidPayload("give --case or --session, not both")
    if doc_type is not None and doc_type not in {t.value for t in DocType}:
        raise InvalidPayload(f"--type: unknown document type {doc_type!r}")
    engine = make_engine(settings.read_model_url)
    try:
        with Session(engine) as db:
            rows = repository.list_documents(db, subject_id=case or session, doc_type=doc_type)
            return [DocumentInfo.model_validate(row, from_attributes=True) for row in rows]
    finally:
        engine.dispose()


def subject_documents(db: Session, subject_id: str) -> list[DocumentInfo]:
    """The files generated for one case or session, from the read model (newest last)."""
    rows = repository.list_documents(db, subject_id=subject_id)
    return [DocumentInfo.model_validate(row, from_attributes=True) for row in rows]


@dataclass(frozen=True)
class StoredFile:
    info: DocumentInfo
    content: bytes


def read_document(db: Session, settings: Settings, subject_id: str, doc_id: str) -> StoredFile:
    """The bytes of one generated file of ``subject_id``. FileNotFound when there is no such
    row or file; FileTampered when the file no longer hashes to the recorded SHA-256."""
    info = next((d for d in subject_documents(db, subject_id) if d.id == doc_id), None)
    if info is None:
        raise FileNotFound(f"document {doc_id}: no such document for {subject_id}")
    content = verified_bytes(Path(info.path), info.sha256, settings.documents_path, settings)
    return StoredFile(info, content)


def verified_bytes(path: Path, sha256: str, root: Path, settings: Settings) -> bytes:
    """The file's plain bytes (opened with the settings' keyring when sealed) when it lies
    under ``root`` and they hash to ``sha256``."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise FileTampered(f"{path.name}: stored outside its folder")
    try:
        sealed = is_sealed(resolved)
        content = read_plain(resolved, keyring_of(settings) if sealed else None)
    except FileNotFoundError:
        raise FileNotFound(f"{path.name}: the stored file is missing") from None
    except SealedFileError as err:
        raise FileTampered(str(err)) from None
    if hashlib.sha256(content).hexdigest() != sha256:
        raise FileTampered(f"{path.name}: does not match the SHA-256 recorded for it")
    return content
