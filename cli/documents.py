"""`starter.py document ...`: generate the council's documents on demand and list them
(``edge.documents``: generation runs as a DocumentWorkflow on the worker, listing reads the
read model)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from cli.common import console, print_json, run
from edge.connect import connect
from edge.documents import document_request, generate, list_documents
from models.documents.spec import DOC_LABELS, DocType
from settings import Settings

app = typer.Typer(
    help="The council's documents (諮問書, 答申書, 会議録, notices) as DOCX and PDF.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


class FormatChoice(StrEnum):
    docx = "docx"
    pdf = "pdf"
    both = "both"


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
        docs = await generate(await connect(settings), settings, req)
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
        docs = list_documents(Settings(), case=case, session=session, doc_type=doc_type)
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
