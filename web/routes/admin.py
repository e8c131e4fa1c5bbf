"""The admin console (/admin, admins only): parked steps of cases and sessions by cause, with
retry / skip / abort and batch retry after a preview; failing workflow tasks; reset of a case
to an earlier act with its dry run; reconcile of the read model. Every action needs a reason
and goes through ``edge.admin.AdminService`` (which records it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from edge.admin import AdminCaller, AdminService
from edge.users import Login
from models.admin import AdminVerb, ParkedEntry, Subject, group_by_cause
from models.case.states import CaseState
from models.errors import CaseError, InvalidPayload
from models.ids import case_workflow_id, session_workflow_id
from models.labels import SESSION_STATE_LABELS, STATE_LABELS
from models.session.record import SessionState
from web.access import ADMIN_PAGES, require
from web.auth import CSRF_FIELD, check_csrf
from web.deps import CurrentLogin, Desk, DeskDep
from web.errors import http_error
from web.frame import page_frame

router = APIRouter()

VERB_LABELS = {
    AdminVerb.retry: "再実行",
    AdminVerb.skip: "スキップ",
    AdminVerb.abort: "中止",
}
SUBJECT_LABELS = {Subject.case: "案件", Subject.session: "会議"}


def admin_who(request: Request, login: Login) -> AdminCaller:
    """The logged-in admin, from where (the audit trail's source)."""
    return AdminCaller(login.user, request.client.host if request.client else "unknown")


def require_admin(login: Login) -> None:
    require(login.user, ADMIN_PAGES, "the admin console")


async def service(desk: Desk) -> AdminService:
    return AdminService(await desk.get_edge(), desk.engine)


async def form_of(request: Request, login: Login) -> dict[str, Any]:
    """The posted fields (repeated ones as lists), after the CSRF check."""
    form = await request.form()
    check_csrf(login, str(form.get(CSRF_FIELD) or ""))
    return {
        key: [str(v) for v in form.getlist(key)] if key == "target" else str(form.get(key) or "")
        for key in form
    }


def state_label(entry: ParkedEntry) -> str:
    return state_label_of(entry.state)


def state_label_of(state: str | None) -> str:
    """A case's or a session's state in Japanese (unknown: ?)."""
    if state is None:
        return "?"
    try:
        return STATE_LABELS[CaseState(state)]
    except ValueError:
        pass
    try:
        return SESSION_STATE_LABELS[SessionState(state)]
    except ValueError:
        return state


async def console_page(
    request: Request,
    desk: Desk,
    login: Login,
    *,
    notice: str | None = None,
    lines: list[str] | None = None,
    error: CaseError | None = None,
    form: str | None = None,
) -> Response:
    """The console; ``notice`` after an action, ``error`` (shown at the form ``form``)."""
    admin = await service(desk)
    groups = group_by_cause(await admin.parked())
    failure = http_error(error) if error is not None else None
    return desk.templates.TemplateResponse(
        request,
        "admin.html",
        {
            **page_frame(desk, login),
            "groups": groups,
            "failing": await admin.failing(),
            "ui_url": admin.ui_url,
            "verbs": VERB_LABELS,
            "subjects": SUBJECT_LABELS,
            "state_label": state_label,
            "notice": notice,
            "lines": lines or [],
            "failure": failure,
            "failed_form": form,
        },
        status_code=failure.status if failure else 200,
    )


@router.get("/admin")
async def console(request: Request, desk: DeskDep, login: CurrentLogin) -> Response:
    require_admin(login)
    return await console_page(request, desk, login)


@router.post("/admin/repair")
async def repair(request: Request, desk: DeskDep, login: CurrentLogin) -> Response:
    """Retry, skip or abort one parked step."""
    require_admin(login)
    posted = await form_of(request, login)
    target = f"{posted.get('subject', '')}:{posted.get('subject_id', '')}"
    try:
        verb = parse_verb(posted.get("verb", ""))
        subject = Subject(posted.get("subject", ""))
        done = await (await service(desk)).repair(
            verb,
            subject,
            posted.get("subject_id", ""),
            admin_who(request, login),
            posted.get("reason", ""),
        )
    except ValueError:
        err = InvalidPayload("subject: case or session")
        return await console_page(request, desk, login, error=err, form=target)
    except CaseError as err:
        return await console_page(request, desk, login, error=err, form=target)
    again = f"。再び失敗しました: {done.still_failing}" if done.still_failing else ""
    label = state_label_of(done.state)
    notice = (
        f"{SUBJECT_LABELS[subject]} {posted.get('subject_id', '')}: "
        f"{VERB_LABELS[verb]}しました(状態: {label}){again}"
    )
    return await console_page(request, desk, login, notice=notice)


def parse_verb(text: str) -> AdminVerb:
    try:
        return AdminVerb(text)
    except ValueError:
        raise InvalidPayload(f"verb: {text!r} is not retry, skip or abort") from None


@router.post("/admin/batch/preview")
async def batch_preview(request: Request, desk: DeskDep, login: CurrentLogin) -> Response:
    """What a batch retry of the selection touches, with the button that runs it."""
    require_admin(login)
    posted = await form_of(request, login)
    return await batch_page(request, desk, login, posted.get("target", []))


async def batch_page(
    request: Request, desk: Desk, login: Login, targets: list[str], error: CaseError | None = None
) -> Response:
    try:
        preview = await (await service(desk)).preview_batch(targets)
    except CaseError as err:
        return await console_page(request, desk, login, error=err, form="batch")
    failure = http_error(error) if error is not None else None
    return desk.templates.TemplateResponse(
        request,
        "admin_batch.html",
        {
            **page_frame(desk, login),
            "preview": preview,
            "targets": targets,
            "failure": failure,
        },
        status_code=failure.status if failure else 200,
    )


@router.post("/admin/batch/retry")
async def batch_retry(request: Request, desk: DeskDep, login: CurrentLogin) -> Response:
    require_admin(login)
    posted = await form_of(request, login)
    targets: list[str] = posted.get("target", [])
    try:
        result = await (await service(desk)).batch_retry(
            targets, admin_who(request, login), posted.get("reason", "")
        )
    except CaseError as err:
        return await batch_page(request, desk, login, targets, err)
    notice = (
        f"一括再実行: {len(result.retried)}件が完了、{len(result.still_parked)}件が再び停止、"
        f"{len(result.refused)}件が拒否されました"
    )
    return await console_page(request, desk, login, notice=notice, lines=result.refused)


@router.get("/admin/reset")
async def reset_page(
    request: Request,
    desk: DeskDep,
    login: CurrentLogin,
    case_id: str = "",
    session_id: str = "",
    seq: int | None = None,
) -> Response:
    """The points a case (or session) can go back to; with ``seq``, the dry run of going
    back there."""
    require_admin(login)
    subject = Subject.session if session_id.strip() else Subject.case
    subject_id = (session_id if subject is Subject.session else case_id).strip()
    return await reset_response(request, desk, login, subject, subject_id, seq)


async def reset_response(
    request: Request,
    desk: Desk,
    login: Login,
    subject: Subject,
    subject_id: str,
    seq: int | None,
    *,
    error: CaseError | None = None,
    done: Any = None,
) -> Response:
    admin = await service(desk)
    points: list[Any] = []
    plan = None
    failure = http_error(error) if error is not None else None
    if subject_id:
        try:
            points = await admin.reset_points(subject_id, subject=subject)
            if seq is not None and done is None:
                plan = await admin.reset_plan(subject_id, seq, subject=subject)
        except CaseError as err:
            failure = http_error(err)
    workflow_id = (case_workflow_id if subject is Subject.case else session_workflow_id)(subject_id)
    return desk.templates.TemplateResponse(
        request,
        "admin_reset.html",
        {
            **page_frame(desk, login),
            "subject": subject.value,
            "subject_label": SUBJECT_LABELS[subject],
            "param": "case_id" if subject is Subject.case else "session_id",
            "subject_id": subject_id,
            "what": "遷移" if subject is Subject.case else "操作",
            "seq": seq,
            "points": points,
            "plan": plan or (done.plan if done else None),
            "done": done,
            "failure": failure,
            "state_label": state_label_of,
            "ui_link": admin.ui_url(workflow_id),
        },
        status_code=failure.status if failure else 200,
    )


@router.post("/admin/reset")
async def reset(request: Request, desk: DeskDep, login: CurrentLogin) -> Response:
    """Reset the case (or session) as the dry run showed, then reconcile its rows."""
    require_admin(login)
    posted = await form_of(request, login)
    subject = Subject.session if posted.get("subject") == Subject.session else Subject.case
    subject_id = posted.get("subject_id", posted.get("case_id", "")).strip()
    try:
        seq = int(posted.get("seq", ""))
        seen_latest = int(posted.get("latest", ""))
    except ValueError:
        err = InvalidPayload("seq: a transition number is needed")
        return await reset_response(request, desk, login, subject, subject_id, None, error=err)
    try:
        done = await (await service(desk)).reset(
            subject_id,
            seq,
            admin_who(request, login),
            posted.get("reason", ""),
            seen_latest=seen_latest,
            subject=subject,
        )
    except CaseError as err:
        return await reset_response(request, desk, login, subject, subject_id, seq, error=err)
    return await reset_response(request, desk, login, subject, subject_id, seq, done=done)


@router.post("/admin/reconcile")
async def reconcile(request: Request, desk: DeskDep, login: CurrentLogin) -> Response:
    """Compare every case and session with the read model and repair what differs."""
    require_admin(login)
    posted = await form_of(request, login)
    try:
        report = await (await service(desk)).reconcile(
            admin_who(request, login), posted.get("reason", "")
        )
    except CaseError as err:
        return await console_page(request, desk, login, error=err, form="reconcile")
    notice = (
        f"照合しました(案件{report.cases_checked}件、会議{report.sessions_checked}件): "
        f"欠落{report.missing}件、古い行{report.stale}件、孤立{report.orphaned}件を修復、"
        f"終了済みで保持{report.retained}件、照会できないもの{report.unreadable}件"
    )
    return await console_page(request, desk, login, notice=notice, lines=report.repaired)
