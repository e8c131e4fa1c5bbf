"""委員のページ's files: the 諮問書 of an agenda item once the materials were sent, and the
会議録 of a closed session — the public version (each redacted passage replaced by its legal
basis) to every member of the council, the full version only to those who attended.

Each download is checked as the page is (the account's seat on the council, the session's
state), audited (``document_download``; a refusal as ``case_read_refused``) and served only
while the file still hashes to the SHA-256 recorded when it was made (``edge.documents``).
An item's 諮問書 is made on first request for the case's current version (a
DocumentWorkflow) and reused while the case does not change.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response

from edge.documents import StoredFile, generate, read_document, subject_documents
from edge.users import Login
from models.audit import AuditAction
from models.documents.spec import DOC_LABELS, DocFormat, DocType, DocumentRequest
from models.errors import FileNotFound, FileTampered
from models.session.record import SessionRecord, SessionState
from web.access import MEMBER_PAGES, require, seat_of
from web.deps import CurrentLogin, Desk, DeskDep, ReadModel
from web.errors import PageForbidden
from web.routes.case_files import MEDIA_TYPES, attachment
from web.routes.cases import audit_event
from web.routes.members import MATERIALS_SENT

router = APIRouter()
log = logging.getLogger("toshin.desk")
MINUTES = (DocType.kaigiroku, DocType.kaigiroku_public)


def attended(record: SessionRecord, member_id: str) -> bool:
    return record.attendance is not None and member_id in record.attendance.present


async def seated_record(desk: Desk, login: Login, session_id: str) -> tuple[SessionRecord, bool]:
    """The session, if the account has a seat on its council; and whether it attended."""
    require(login.user, MEMBER_PAGES, "the council member's files")
    record = await (await desk.get_edge()).sessions.record(session_id)
    seat = seat_of(record.council, login.user)
    if seat is None:
        raise PageForbidden(f"{login.user.username} has no seat on {record.council.council_id}")
    return record, attended(record, seat.member_id)


async def _served(
    request: Request, desk: Desk, login: Login, stored: StoredFile, subject: str
) -> Response:
    info = stored.info
    detail = f"{subject} {info.doc_type.value} v{info.data_version} ({info.format.value})"
    await audit_event(request, desk, login, AuditAction.document_download, subject, detail)
    ext = info.format.value
    return attachment(
        stored.content,
        MEDIA_TYPES[info.format],
        f"{DOC_LABELS[info.doc_type]}-{subject}-v{info.data_version}.{ext}",
        f"{info.doc_type.value}-{subject}-v{info.data_version}.{ext}",
    )


async def _refused(
    request: Request, desk: Desk, login: Login, subject: str, why: str
) -> PageForbidden:
    await audit_event(request, desk, login, AuditAction.case_read_refused, subject, why)
    return PageForbidden(f"{login.user.username}: {why}")


@router.get("/member/sessions/{session_id}/items/{case_id}/shimonsho.pdf")
async def item_shimonsho(
    request: Request,
    desk: DeskDep,
    login: CurrentLogin,
    db: ReadModel,
    session_id: str,
    case_id: str,
) -> Response:
    record, _ = await seated_record(desk, login, session_id)
    if case_id not in {item.case_id for item in record.items}:
        raise FileNotFound(f"case {case_id}: not on the agenda of {session_id}")
    if record.state not in MATERIALS_SENT:
        raise await _refused(request, desk, login, case_id, "materials not sent yet")
    edge = await desk.get_edge()
    version = str((await edge.cases.snapshot(case_id)).history[-1].seq)

    def stored() -> str | None:
        return next(
            (
                d.id
                for d in subject_documents(db, case_id)
                if d.doc_type is DocType.shimonsho
                and d.format is DocFormat.pdf
                and d.data_version == version
            ),
            None,
        )

    doc_id = stored()
    if doc_id is None:
        request_pdf = DocumentRequest(
            doc_type=DocType.shimonsho, subject_id=case_id, formats=[DocFormat.pdf]
        )
        [made] = await generate(edge.client, desk.settings, request_pdf)
        doc_id = made.id
    return await _file(request, desk, login, db, case_id, doc_id)


@router.get("/member/sessions/{session_id}/minutes/{doc_id}")
async def minutes_file(
    request: Request,
    desk: DeskDep,
    login: CurrentLogin,
    db: ReadModel,
    session_id: str,
    doc_id: str,
) -> Response:
    record, was_there = await seated_record(desk, login, session_id)
    if record.state is not SessionState.closed:
        raise FileNotFound(f"{session_id}: no minutes before the session is closed")
    info = next((d for d in subject_documents(db, session_id) if d.id == doc_id), None)
    if info is None or info.doc_type not in MINUTES:
        raise FileNotFound(f"document {doc_id}: no minutes of {session_id}")
    if info.doc_type is DocType.kaigiroku and not was_there:
        why = "the full minutes are for the members who attended"
        raise await _refused(request, desk, login, session_id, why)
    return await _file(request, desk, login, db, session_id, doc_id)


async def _file(
    request: Request, desk: Desk, login: Login, db: ReadModel, subject: str, doc_id: str
) -> Response:
    try:
        stored = read_document(db, desk.settings, subject, doc_id)
    except FileTampered as err:
        log.warning("document %s of %s refused: %s", doc_id, subject, err.message)
        detail = f"{doc_id}: changed, refused"
        await audit_event(request, desk, login, AuditAction.document_download, subject, detail)
        raise
    return await _served(request, desk, login, stored, subject)
