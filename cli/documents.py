"""`starter.py document ...`: generate the council's documents on demand and list them.

Generation runs as a DocumentWorkflow on the worker (the read model is written only by
activities); listing reads the read model."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError

from cli.common import console, print_json, run
from gateway import connect
from models.documents.spec import (
    DOC_LABELS,
    DOC_SUBJECT,
    DocFormat,
    DocType,
    DocumentInfo,
    DocumentRequest,
    GenerateDocumentResult,
    Subject,
)
from models.errors import CaseError, InvalidPayload, from_type
from models.ids import document_workflow_id
from persistence import repository
from persistence.database import make_engine
from settings import Settings
from workflows.documents import DocumentWorkflow

app = typer.Typer(
    help="The council's documents (諮問書, 答申書, 会議録, notices) as DOCX and PDF.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


class FormatChoice(StrEnum):
    docx = "docx"
    pdf = "pdf"
    both = "both"


def document_request(
    case: str | None, session: str | None, doc_type: str, fmt: str, public: bool
) -> DocumentRequest:
    """Check the command line and say what to generate; InvalidPayload when it does not fit."""
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
    try:
        result: GenerateDocumentResult = await client.execute_workflow(
            DocumentWorkflow.run, req, id=workflow_id, task_queue=settings.task_queue
        )
    except WorkflowFailureError as err:
        cause: BaseException | None = err.cause
        while isinstance(cause, ActivityError) and cause.cause is not None:
            cause = cause.cause
        if isinstance(cause, ApplicationError):
            raise from_type(cause.type, cause.message) from None
        raise CaseError(f"document {req.doc_type.value} for {req.subject_id}: {cause}") from None
    return result.documents


@app.command("generate")
def generate_command(
    doc_type: Annotated[str, typer.Option("--type", help=", ".join(t.value for t in DocType))],
    case: Annotated[str | None, typer.Option(help="case id (諮問書, 答申書, letters)")] = None,
    session: Annotated[str | None, typer.Option(help="session id (会議録, 開催通知)")] = None,
    fmt: Annotated[FormatChoice, typer.Option("--format")] = FormatChoice.both,
    public: Annotated[bool, typer.Option("--public", help="the public minutes")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Generate a document now from the case's or session's current data."""

    async def work() -> None:
        req = document_request(case, session, doc_type, fmt.value, public)
        settings = Settings()
        try:
            client = await connect(settings)
        except RuntimeError as exc:
            raise CaseError(
                f"cannot reach Temporal at {settings.temporal_address} ({exc})"
            ) from None
        docs = await generate(client, settings, req)
        if as_json:
            print_json(docs)
            return
        for d in docs:
            console.print(
                f"{DOC_LABELS[d.doc_type]} ({d.format.value}, v{d.data_version}, {d.size:,} bytes) "
                f"sha256 {d.sha256[:16]}… → {d.path}",
                highlight=False,
                soft_wrap=True,
            )

    run(work)


@app.command("list")
def list_command(
    case: Annotated[str | None, typer.Option(help="only this case")] = None,
    session: Annotated[str | None, typer.Option(help="only this session")] = None,
    doc_type: Annotated[str | None, typer.Option("--type")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the generated documents (from the read model)."""

    async def work() -> None:
        if case is not None and session is not None:
            raise InvalidPayload("give --case or --session, not both")
        if doc_type is not None and doc_type not in {t.value for t in DocType}:
            raise InvalidPayload(f"--type: unknown document type {doc_type!r}")
        settings = Settings()
        engine = make_engine(settings.read_model_url)
        with Session(engine) as db:
            rows = repository.list_documents(db, subject_id=case or session, doc_type=doc_type)
            docs = [DocumentInfo.model_validate(row, from_attributes=True) for row in rows]
        engine.dispose()
        if as_json:
            print_json(docs)
            return
        table = Table(title=f"documents ({len(docs)})")
        for col in ("subject", "type", "format", "version", "size", "sha256", "path"):
            table.add_column(col)
        for d in docs:
            table.add_row(
                d.subject_id,
                DOC_LABELS[d.doc_type],
                d.format.value,
                d.data_version,
                f"{d.size:,}",
                d.sha256[:16],
                d.path,
            )
        console.print(table)

    run(work)
