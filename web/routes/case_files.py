"""A case's files: its generated documents (from the read model's ``documents`` table through
``edge.documents``) and its evidence files (``edge.evidence``), downloaded only while they
still match the SHA-256 recorded for them; and the upload of a file as the evidence for a
condition or an obligation, which is the department's ``submit_evidence`` or
``fulfil_obligation`` act like any other (an update through the edge). Every route checks
the case's department first (403)."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from edge.documents import read_document
from edge.evidence import MAX_BYTES, EvidenceStore, check_upload
from models.audit import AuditAction
from models.case.record import CaseSnapshot
from models.case.states import Trigger
from models.documents.spec import DOC_LABELS, DocFormat
from models.errors import CaseError, FileTampered, InvalidPayload, RoleNotAllowed, UploadRefused
from web.access import actor_of
from web.auth import CSRF_FIELD, check_csrf
from web.deps import CurrentLogin, DeskDep, ReadModel
from web.errors import http_error
from web.routes.cases import (
    act_input,
    acts_for,
    audit_event,
    audited_snapshot,
    case_page_response,
)

router = APIRouter()
log = logging.getLogger("toshin.desk")
DOWNLOAD = AuditAction.document_download

MEDIA_TYPES = {
    DocFormat.pdf: "application/pdf",
    DocFormat.docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
FORM_OVERHEAD = 64 * 1024  # the multipart envelope and the other fields of the upload form


def attachment(content: bytes, media_type: str, name: str, fallback: str) -> Response:
    """A download: the Japanese name for browsers that read RFC 6266, an ASCII one for others."""
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get("/cases/{case_id}/documents/{doc_id}")
async def download_document(
    request: Request, desk: DeskDep, login: CurrentLogin, db: ReadModel, case_id: str, doc_id: str
) -> Response:
    await audited_snapshot(request, desk, login, case_id, AuditAction.case_read_refused)
    try:
        stored = read_document(db, desk.settings, case_id, doc_id)
    except FileTampered as err:
        log.warning("document %s of case %s refused: %s", doc_id, case_id, err.message)
        await audit_event(request, desk, login, DOWNLOAD, case_id, f"{doc_id}: changed, refused")
        raise
    await audit_event(request, desk, login, DOWNLOAD, case_id, doc_id)
    info = stored.info
    ext = info.format.value
    return attachment(
        stored.content,
        MEDIA_TYPES[info.format],
        f"{DOC_LABELS[info.doc_type]}-{case_id}-v{info.data_version}.{ext}",
        f"{info.doc_type.value}-{case_id}-v{info.data_version}.{ext}",
    )


@router.get("/cases/{case_id}/evidence/{sha256}")
async def download_evidence(
    request: Request, desk: DeskDep, login: CurrentLogin, case_id: str, sha256: str
) -> Response:
    snap = await audited_snapshot(request, desk, login, case_id, AuditAction.case_read_refused)
    try:
        evidence, content = EvidenceStore(desk.settings).read(snap, sha256)
    except FileTampered as err:
        log.warning("evidence of case %s refused: %s", case_id, err.message)
        detail = f"evidence {sha256[:16]}: changed, refused"
        await audit_event(request, desk, login, DOWNLOAD, case_id, detail)
        raise
    await audit_event(request, desk, login, DOWNLOAD, case_id, f"evidence {sha256[:16]}")
    suffix = evidence.name.rsplit(".", 1)[-1].lower()
    return attachment(
        content, evidence.kind.media_type, evidence.name, f"evidence-{sha256[:12]}.{suffix}"
    )


@router.post("/cases/{case_id}/evidence")
async def upload_evidence(
    request: Request, desk: DeskDep, login: CurrentLogin, db: ReadModel, case_id: str
) -> Response:
    snap = await audited_snapshot(request, desk, login, case_id, AuditAction.case_act_refused)
    acts = {a.form.trigger: a for a in acts_for(login.user, snap)}
    values: dict[str, str] = {}
    try:
        length = request.headers.get("content-length", "")
        declared = int(length) if length.isdigit() else 0
        if declared > MAX_BYTES + FORM_OVERHEAD:
            raise UploadRefused(f"file: a request of {declared} bytes", problem="too_large")
        async with request.form(max_files=1, max_fields=10) as form:
            check_csrf(login, _text(form.get(CSRF_FIELD)))
            values = {"target": _text(form.get("target")), "note": _text(form.get("note"))}
            trigger, payload = _target(values["target"])
            chosen = acts.get(trigger)
            if chosen is None:
                who = login.user.username
                raise RoleNotAllowed(f"{trigger.value}: not an act {who} may take now")
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise UploadRefused("file: no file was chosen", problem="empty")
            content = await upload.read(MAX_BYTES + 1)
            evidence = check_upload(upload.filename or "", content)
        payload["file_ref"] = evidence.file_ref
        if values["note"].strip():
            payload["note"] = values["note"].strip()
    except CaseError as err:
        return _refused(request, desk, login, db, snap, err, values)
    store = EvidenceStore(desk.settings)
    created = store.store(case_id, evidence, content)
    try:
        edge = await desk.get_edge()
        act = act_input(trigger, actor_of(login, chosen.role), payload)
        await edge.cases.act(case_id, act)
    except CaseError as err:
        if created and http_error(err).status < 500:  # refused for sure: the case names no file
            store.discard(case_id, evidence)
        return _refused(request, desk, login, db, snap, err, values)
    detail = f"{trigger.value} with evidence {evidence.file_ref}"
    await audit_event(request, desk, login, AuditAction.case_act, case_id, detail)
    return RedirectResponse(f"/cases/{case_id}?done={trigger.value}", status_code=303)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _target(value: str) -> tuple[Trigger, dict[str, object]]:
    """The act a file is the evidence for: ``condition:<n>`` or ``obligation:<id>``."""
    kind, _, ref = value.partition(":")
    if kind == "condition" and ref.isdigit():
        return Trigger.submit_evidence, {"condition": int(ref)}
    if kind == "obligation" and ref:
        return Trigger.fulfil_obligation, {"obligation": ref}
    raise InvalidPayload("target: choose the condition or obligation the file is evidence for")


def _refused(
    request: Request,
    desk: DeskDep,
    login: CurrentLogin,
    db: ReadModel,
    snap: CaseSnapshot,
    err: CaseError,
    values: dict[str, str],
) -> Response:
    failure = http_error(err)
    if failure.status == 403:
        raise err
    log.info("evidence upload on %s refused: %s", snap.case_id, err.message)
    return case_page_response(
        request, desk, login, snap, db,
        failed="upload", errors={failure.field or "file": failure.message}, values=values,
        message=failure.message, status=failure.status,
    )  # fmt: skip
