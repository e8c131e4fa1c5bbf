"""自課の案件: the list (read model), its CSV, one case (the workflow's snapshot, through the
edge) and the acts the logged-in user may take on it (updates, through the edge).

Who may see and do what comes from the logged-in user only: a department member or head sees
their own department's cases; the secretariat, IT and admins see every case. The actor the
engine records is built from the session, never from a posted field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from edge.archive import ARCHIVE_READ
from edge.cases import today_jst
from edge.documents import subject_documents
from edge.evidence import without_hashes
from edge.users import Login
from models.accounts import DEPARTMENT_ROLES, UserView
from models.audit import AuditAction
from models.calendar.clock import JST
from models.calendar.wareki import DateStyle, format_date
from models.case.lifecycle import allowed_actions
from models.case.record import ActInput, Actor, CaseSnapshot
from models.case.states import CaseState, Role, Trigger
from models.errors import CaseError, InvalidPayload, RoleNotAllowed, describe_validation_error
from models.labels import (
    COLUMN_LABELS,
    OUTCOME_LABELS,
    ROLE_LABELS,
    STATE_LABELS,
    TRIGGER_LABELS,
    deadline_label,
)
from models.views.case import case_sheet
from persistence.repository import CASE_SORTS, page_cases
from persistence.tables import CaseRow
from web.access import ALL_CASES, actor_of
from web.auth import CSRF_FIELD, check_csrf
from web.deps import CurrentLogin, Desk, DeskDep, ReadModel, who
from web.errors import Forbidden, http_error
from web.forms import ActForm, FormErrors, act_form, payload_of
from web.frame import page_frame
from web.routes import case_parts

router = APIRouter()
log = logging.getLogger("toshin.desk")

PAGE_SIZE = 20
DUE_SOON_DAYS = 14
SORT_LABELS = {
    "deadline": "期限が近い順",
    "updated": "更新が新しい順",
    "title": "件名順",
    "state": "状態順",
}
DECISIONS = {outcome.value: label for outcome, label in OUTCOME_LABELS.items()}


def scope(user: UserView) -> str | None:
    """The department whose cases the user sees; None for every department."""
    if any(r in ALL_CASES for r in user.roles):
        return None
    if any(r in DEPARTMENT_ROLES for r in user.roles) and user.department:
        return user.department
    raise Forbidden(f"{user.username}: no case list for roles {', '.join(user.roles)}")


def check_case_access(user: UserView, snap: CaseSnapshot) -> None:
    department = scope(user)
    if department is not None and snap.document.department != department:
        raise Forbidden(
            f"{user.username} ({department}) asked for case {snap.case_id} "
            f"of {snap.document.department}"
        )


def deadline_tone(due: dt.date | None, today: dt.date) -> str:
    if due is None:
        return ""
    if due < today:
        return "overdue"
    return "soon" if (due - today).days <= DUE_SOON_DAYS else ""


def page_context(desk: Desk, login: Login) -> dict[str, Any]:
    """The frame of a page of cases: scoped to the user's department unless they see all."""
    return page_frame(desk, login, department=scope(login.user))


def _state_filter(state: str | None) -> str | None:
    return state if state in CaseState.__members__ else None


@router.get("/cases")
def case_list(
    request: Request,
    desk: DeskDep,
    login: CurrentLogin,
    db: ReadModel,
    state: str | None = None,
    sort: str = "deadline",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    department = scope(login.user)
    state = _state_filter(state)
    sort = sort if sort in CASE_SORTS else "deadline"
    rows, total = page_cases(
        db,
        department=department,
        state=state,
        sort=sort,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    today = today_jst()
    style = desk.town.date_style
    items = [
        {
            "row": row,
            "state_label": STATE_LABELS[CaseState(row.state)],
            "deadline": format_date(row.next_deadline, style) if row.next_deadline else "",
            "tone": deadline_tone(row.next_deadline, today),
            "what": deadline_label(row.next_deadline_what),
        }
        for row in rows
    ]
    pages = max(1, -(-total // PAGE_SIZE))
    return desk.templates.TemplateResponse(
        request,
        "cases.html",
        {
            **page_context(desk, login),
            "items": items,
            "total": total,
            "page": page,
            "pages": pages,
            "state": state or "",
            "sort": sort,
            "states": [(s.value, STATE_LABELS[s]) for s in CaseState],
            "sorts": SORT_LABELS,
            "today": format_date(today, style),
        },
    )


@router.get("/cases.csv")
def case_csv(
    request: Request, desk: DeskDep, login: CurrentLogin, db: ReadModel, state: str | None = None
) -> Response:
    department = scope(login.user)
    state = _state_filter(state)
    rows, _ = page_cases(db, department=department, state=state, offset=0, limit=100_000)
    detail = f"{department or 'all departments'}, state {state or 'any'}: {len(rows)} cases"
    desk.audit.record(who(request, login), AuditAction.case_list_csv, detail=detail)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["案件番号", "年度", "担当課", "件名", "状態", "次の期限", "期限の内容", "期限超過"]
    )
    today = today_jst()
    for row in rows:
        writer.writerow(_csv_row(row, today))
    name = f"cases-{today.isoformat()}.csv"
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),  # the BOM: Excel opens it as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _csv_row(row: CaseRow, today: dt.date) -> list[str]:
    return [
        row.case_id,
        str(row.fiscal_year),
        row.department,
        row.title,
        STATE_LABELS[CaseState(row.state)],
        row.next_deadline.isoformat() if row.next_deadline else "",
        deadline_label(row.next_deadline_what),
        "超過" if row.next_deadline and row.next_deadline < today else "",
    ]


@dataclass(frozen=True)
class Act:
    form: ActForm
    role: Role  # the role the user acts in for it


def acts_for(user: UserView, snap: CaseSnapshot) -> list[Act]:
    """The acts the lifecycle table allows this user now, in each of their roles."""
    acts: dict[Trigger, Act] = {}
    for role in user.acting_roles():
        for action in allowed_actions(snap.state, role, parked=snap.parked is not None):
            if action.trigger not in acts:
                acts[action.trigger] = Act(form=act_form(action.trigger), role=role)
    return list(acts.values())


def timeline(snap: CaseSnapshot, style: DateStyle) -> list[dict[str, str]]:
    """The case's acts and the resets it met, newest first (by the engine's time)."""
    acts = [
        (
            rec.at,
            {
                "on": format_date(rec.on, style),
                "what": TRIGGER_LABELS[rec.trigger] if rec.trigger else "起案",
                "dest": STATE_LABELS[rec.dest],
                "who": f"{ROLE_LABELS[rec.actor.role]} {rec.actor.name}",
                "reason": DECISIONS.get(rec.reason or "", rec.reason or "")
                if rec.trigger is Trigger.decide
                else without_hashes(rec.reason or ""),
            },
        )
        for rec in reversed(snap.history)  # newest first; the same time keeps this order
    ]
    resets = [
        (mark.at, {
            "on": format_date(mark.at.astimezone(JST).date(), style),
            "what": f"リセット(遷移 {mark.seq} の後へ戻る)",
            "dest": STATE_LABELS[mark.state],
            "who": "エンジンが検知",
            "reason": f"{mark.at.astimezone(JST):%H:%M:%S}にリセットされました"
            + ("" if mark.rows_repaired is None else f"。一覧の{mark.rows_repaired}行を修復"),
        })
        for mark in snap.resets
    ]  # fmt: skip
    return [entry for _, entry in sorted(acts + resets, key=lambda e: e[0], reverse=True)]


async def case_snapshot(desk: Desk, login: Login, case_id: str) -> CaseSnapshot:
    """The case's live snapshot; Forbidden (403) when it is another department's."""
    edge = await desk.get_edge()
    snap = await edge.cases.snapshot(case_id)
    check_case_access(login.user, snap)
    return snap


async def audited_snapshot(
    request: Request, desk: Desk, login: Login, case_id: str, refused: AuditAction
) -> CaseSnapshot:
    """The snapshot, if the user may see the case; a refusal is recorded in the trail."""
    try:
        return await case_snapshot(desk, login, case_id)
    except Forbidden:
        await audit_event(request, desk, login, refused, case_id, "another department's case")
        raise


def case_page_response(
    request: Request,
    desk: DeskDep,
    login: Login,
    snap: CaseSnapshot,
    db: Session,
    *,
    done: str | None = None,
    failed: str | None = None,
    message: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    style = desk.town.date_style
    acts = acts_for(login.user, snap)
    may = {a.form.trigger for a in acts}
    conditions = case_parts.conditions(snap, style)
    obligations = case_parts.obligations(snap, style)
    done_label = TRIGGER_LABELS[Trigger(done)] if done and done in Trigger.__members__ else None
    return desk.templates.TemplateResponse(
        request,
        "case.html",
        {
            **page_context(desk, login),
            "snap": snap,
            "state_label": STATE_LABELS[snap.state],
            "sheet": case_sheet(snap, desk.town, None),
            "columns": COLUMN_LABELS,
            "timeline": timeline(snap, style),
            "lifecycle": case_parts.lifecycle(snap),
            "conditions": conditions,
            "obligations": obligations,
            "review": case_parts.review(snap, style),
            "upload_to": case_parts.upload_targets(
                conditions,
                obligations,
                may_submit_evidence=Trigger.submit_evidence in may,
                may_fulfil_obligation=Trigger.fulfil_obligation in may,
            ),
            "documents": case_parts.documents(
                snap.case_id, subject_documents(db, snap.case_id), style
            ),
            "deadline": format_date(snap.next_deadline, style) if snap.next_deadline else "",
            "deadline_what": deadline_label(snap.next_deadline_what),
            "tone": deadline_tone(snap.next_deadline, snap.business_today or today_jst()),
            "acts": [a for a in acts if a.form.supported],
            "other_acts": [a for a in acts if not a.form.supported],
            "done": done_label,
            "failed": failed,
            "message": message,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status,
    )


def act_input(trigger: str, actor: Actor, payload: dict[str, Any]) -> ActInput:
    """The act as the engine takes it; InvalidPayload naming the field when the models refuse
    it (a payload over the size budget, a character no text may hold)."""
    try:
        return ActInput(trigger=trigger, actor=actor, payload=payload)
    except ValidationError as err:
        raise InvalidPayload(describe_validation_error(err)) from None


@router.get("/cases/{case_id}")
async def case_page(
    request: Request,
    desk: DeskDep,
    login: CurrentLogin,
    db: ReadModel,
    case_id: str,
    done: str | None = None,
) -> Response:
    snap = await audited_snapshot(request, desk, login, case_id, AuditAction.case_read_refused)
    detail = ARCHIVE_READ if snap.archived_at is not None else ""
    await audit_event(request, desk, login, AuditAction.case_read, case_id, detail)
    return case_page_response(request, desk, login, snap, db, done=done)


@router.post("/cases/{case_id}/acts/{trigger}")
async def act(
    request: Request, desk: DeskDep, login: CurrentLogin, db: ReadModel, case_id: str, trigger: str
) -> Response:
    posted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(login, posted.get(CSRF_FIELD))
    snap = await audited_snapshot(request, desk, login, case_id, AuditAction.case_act_refused)
    chosen = next((a for a in acts_for(login.user, snap) if a.form.trigger == trigger), None)
    if chosen is None or not chosen.form.supported:
        await audit_event(
            request, desk, login, AuditAction.case_act_refused, case_id, f"{trigger}: not now"
        )
        raise RoleNotAllowed(f"{trigger}: not an act {login.user.username} may take now")
    values = {s.name: posted.get(s.name, "") for s in chosen.form.fields}
    try:
        payload = payload_of(chosen.form, posted)
        actor = actor_of(login, chosen.role)
        edge = await desk.get_edge()
        await edge.cases.act(case_id, act_input(trigger, actor, payload))
    except FormErrors as err:
        await audit_event(
            request, desk, login, AuditAction.case_act_refused, case_id, f"{trigger}: form"
        )
        return case_page_response(
            request, desk, login, snap, db, failed=trigger, errors=err.errors, values=values,
            message="入力内容を確認してください", status=422,
        )  # fmt: skip
    except CaseError as err:
        failure = http_error(err)
        log.info("act %s on %s refused: %s", trigger, case_id, err.message)
        refusal = f"{trigger}: {err.error_type}"
        await audit_event(request, desk, login, AuditAction.case_act_refused, case_id, refusal)
        errors = {failure.field: failure.message} if failure.field else {}
        return case_page_response(
            request, desk, login, snap, db, failed=trigger, errors=errors, values=values,
            message=failure.message, status=failure.status,
        )  # fmt: skip
    await audit_event(request, desk, login, AuditAction.case_act, case_id, trigger)
    return RedirectResponse(f"/cases/{case_id}?done={trigger}", status_code=303)


async def audit_event(
    request: Request,
    desk: Desk,
    login: Login,
    action: AuditAction,
    case_id: str,
    detail: str = "",
) -> None:
    """One audit record, off the event loop (it waits for the chain head's lock)."""
    await run_in_threadpool(
        desk.audit.record, who(request, login), action, case_id=case_id, detail=detail
    )
