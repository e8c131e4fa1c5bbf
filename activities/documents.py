"""Documents in the council's own formats (諮問書, 答申書, 会議録, notices) as DOCX and PDF:
built from the case or session data, rendered from editable templates, stored under the
documents folder with a row in the read model. Never logs document content."""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError, TemporalError

from activities.rendering import render
from edge.errors import is_not_found
from models.case.record import CaseSnapshot
from models.documents import build_content
from models.documents.spec import (
    DOC_SUBJECT,
    CaseSource,
    DocumentInfo,
    DocumentRequest,
    DocumentStyle,
    GenerateDocumentInput,
    GenerateDocumentResult,
    SessionSource,
    Subject,
    document_id,
)
from models.errors import CaseError, CaseNotFound
from models.ids import case_workflow_id, session_workflow_id
from models.session.record import SessionRecord
from persistence import repository
from persistence.files import write_private
from persistence.people import SealingKeyring

log = logging.getLogger(__name__)


def _failed(err: CaseError) -> ApplicationError:
    """A business failure: retrying cannot help (fix the template or the data, then retry)."""
    return ApplicationError(err.message, type=err.error_type.value, non_retryable=True)


class DocumentActivities:
    def __init__(
        self,
        engine: Engine,
        client: Client,
        *,
        documents_dir: Path,
        templates_dir: Path,
        style: DocumentStyle,
        keyring: SealingKeyring | None = None,
    ) -> None:
        self._engine = engine
        self._keyring = keyring  # with encrypt_documents: files sealed (persistence/files.py)
        self._client = client
        self._documents = documents_dir
        self._templates = templates_dir
        self._style = style

    @activity.defn(name="generate_document")
    def generate_document(self, inp: GenerateDocumentInput) -> GenerateDocumentResult:
        """Render one document type in the asked formats, store each file (0600, sealed with
        encrypt_documents) and its row. Idempotent: the same data gives the same bytes (and
        SHA-256), file and row (by subject, type, format and data version). A broken template
        fails with TemplateError (no retry)."""
        subject = DOC_SUBJECT[inp.doc_type]
        if subject is Subject.case and inp.case is not None:
            subject_id, version = inp.case.case_id, inp.case.version
        elif subject is Subject.session and inp.session is not None:
            subject_id, version = inp.session.session_id, inp.session.version
        else:
            raise _failed(CaseError(f"{inp.doc_type} needs its {subject.value} data"))
        try:
            content = build_content(inp, self._style)
            with heartbeating():
                rendered = [
                    render(inp.doc_type, fmt, content, self._templates) for fmt in inp.formats
                ]
        except CaseError as err:
            log.warning("document %s for %s failed: %s", inp.doc_type, subject_id, err.error_type)
            raise _failed(err) from None
        infos = []
        folder = self._documents / subject_id
        with Session(self._engine) as session:
            for fmt, result in zip(inp.formats, rendered, strict=True):
                path = folder / f"{inp.doc_type.value}-v{version}.{fmt.value}"
                write_private(path, result.data, root=self._documents, keyring=self._keyring)
                info = DocumentInfo(
                    id=document_id(subject_id, inp.doc_type, fmt, version),
                    subject=subject,
                    subject_id=subject_id,
                    doc_type=inp.doc_type,
                    format=fmt,
                    data_version=version,
                    sha256=hashlib.sha256(result.data).hexdigest(),
                    path=str(path),
                    size=len(result.data),
                    template=result.template,
                    generated_at=dt.datetime.now(dt.UTC),
                )
                repository.record_document(session, info=info)
                infos.append(info)
            session.commit()
        log.info("documents %s for %s v%s written", inp.doc_type, subject_id, version)
        return GenerateDocumentResult(documents=infos)

    @activity.defn(name="load_document_source")
    async def load_document_source(self, req: DocumentRequest) -> GenerateDocumentInput:
        """The data a document is made from, as its case or session workflow holds it now.
        Reads only."""
        subject = DOC_SUBJECT[req.doc_type]
        try:
            if subject is Subject.case:
                handle = self._client.get_workflow_handle(case_workflow_id(req.subject_id))
                snap = await handle.query("snapshot", result_type=CaseSnapshot)
                return GenerateDocumentInput(
                    doc_type=req.doc_type, formats=req.formats, case=CaseSource.of(snap)
                )
            handle = self._client.get_workflow_handle(session_workflow_id(req.subject_id))
            record = await handle.query("record", result_type=SessionRecord)
        except TemporalError as err:
            if not is_not_found(err):
                raise
            raise _failed(CaseNotFound(f"no {subject.value} {req.subject_id}")) from None
        return GenerateDocumentInput(
            doc_type=req.doc_type, formats=req.formats, session=SessionSource(record=record)
        )


@contextmanager
def heartbeating(every: float = 1.0) -> Iterator[None]:
    """Heartbeat from a helper thread while a long synchronous step runs, so a worker that
    died mid-render is noticed within the step's heartbeat timeout, not its whole timeout
    (the fault drill, bench/drill.py, found a killed worker holding an answer 2 minutes)."""
    stop = threading.Event()
    context = contextvars.copy_context()  # the activity's context, for activity.heartbeat

    def beat() -> None:
        while not stop.wait(every):
            context.run(activity.heartbeat)

    thread = threading.Thread(target=beat, name="document-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
