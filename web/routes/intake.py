"""受付・事前確認 and 全庁の状況: the secretariat's intake queue (cases waiting for the triage
decision or the pre-check, from the read model) with the acts the case table allows as forms
(updates, through the edge); and every department's overdue cases, overdue minutes and the
count of cases in each state (read model).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from edge.cases import today_jst
from edge.users import Login
from models.calendar.wareki import format_date
from models.case.lifecycle import allowed_actions
from models.case.payloads import CheckResult
from models.case.states import CaseState, Role, Trigger
from models.errors import CaseError, RoleNotAllowed
from models.labels import (
    CATEGORY_LABELS,
    CHECK_RESULT_LABELS,
    STATE_LABELS,
    TRIGGER_LABELS,
    deadline_label,
    session_label,
)
from persistence import repository
from web.access import INTAKE_PAGES, actor_of, require
from web.auth import CSRF_FIELD, check_csrf
from web.deps import CurrentLogin, Desk, DeskDep, ReadModel
from web.errors import http_error
from web.forms import FormErrors, act_form, payload_of
from web.frame import page_frame
from web.routes.cases import act_input
from web.session_forms import Field

router = APIRouter()
log = logging.getLogger("toshin.desk")

QUEUE = (CaseState.triage, CaseState.precheck)
INTAKE_ROLES = (Role.secretariat, Role.it)
CHECK_IDS = tuple(f"C{n}" for n in range(1, 28))  # DOMAIN.md §5
CHECK_CHOICES = tuple((r.value, CHECK_RESULT_LABELS[r]) for r in CheckResult)
PRECHECK_FIELDS = tuple(Field(c, "select", choices=CHECK_CHOICES, title=c) for c in CHECK_IDS)
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "category": {c.value: label for c, label in CATEGORY_LABELS.items()},
}


def intake_acts(login: Login, state: CaseState) -> dict[Trigger, Role]:
    """The acts the case table allows this user on a case in ``state``, with the role."""
    acts: dict[Trigger, Role] = {}
    for role in login.user.acting_roles():
        if role in INTAKE_ROLES:
            for action in allowed_actions(state, role):
                acts.setdefault(action.trigger, role)
    return acts


def fields_of(trigger: Trigger) -> tuple[Field, ...]:
    """A queue act's form fields: the pre-check's checklist, or the payload model's fields."""
    if trigger is Trigger.pass_precheck:
        return PRECHECK_FIELDS
    return tuple(
        Field(
            spec.name,
            spec.kind,
            spec.required,
            tuple((c, CHOICE_LABELS.get(spec.name, {}).get(c, c)) for c in spec.choices),
            spec.label,
        )
        for spec in act_form(trigger).fields
    )


def payload(trigger: Trigger, posted: dict[str, str]) -> dict[str, Any]:
    """The act's payload from a posted form; FormErrors naming each bad field."""
    if trigger is not Trigger.pass_precheck:
        return payload_of(act_form(trigger), posted)
    allowed = {value for value, _ in CHECK_CHOICES}
    items = [
        {"check_id": c, "result": posted[c]} for c in CHECK_IDS if posted.get(c, "") in allowed
    ]
    if not items:
        raise FormErrors({"C1": "確認した項目の結果を1つ以上選んでください"})
    return {"items": items}


def _queue_page(
    request: Request,
    desk: Desk,
    login: Login,
    db: Session,
    *,
    done: str | None = None,
    failed: tuple[str, str] = ("", ""),
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    style = desk.town.date_style
    queues = []
    for state in QUEUE:
        rows, total = repository.page_cases(db, state=state.value, offset=0, limit=200)
        acts = intake_acts(login, state)
        queues.append(
            {
                "state": state.value,
                "label": STATE_LABELS[state],
                "total": total,
                "rows": [
                    {
                        "row": row,
                        "deadline": format_date(row.next_deadline, style)
                        if row.next_deadline
                        else "—",
                        "what": deadline_label(row.next_deadline_what),
                        "overdue": row.next_deadline is not None
                        and row.next_deadline < today_jst(),
                    }
                    for row in rows
                ],
                "acts": [(t.value, TRIGGER_LABELS[t], fields_of(t)) for t in acts],
            }
        )
    done_label = TRIGGER_LABELS[Trigger(done)] if done and done in Trigger.__members__ else None
    return desk.templates.TemplateResponse(
        request,
        "intake.html",
        {
            **page_frame(desk, login),
            "queues": queues,
            "done": done_label,
            "failed": failed,
            "errors": errors or {},
            "values": values or {},
            "message": message,
        },
        status_code=status,
    )


@router.get("/intake")
def intake(
    request: Request, desk: DeskDep, login: CurrentLogin, db: ReadModel, done: str | None = None
) -> Response:
    require(login.user, INTAKE_PAGES, "the intake queue")
    return _queue_page(request, desk, login, db, done=done)


@router.post("/intake/{case_id}/acts/{trigger}")
async def intake_act(
    request: Request,
    desk: DeskDep,
    login: CurrentLogin,
    db: ReadModel,
    case_id: str,
    trigger: str,
) -> Response:
    posted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(login, posted.get(CSRF_FIELD))
    require(login.user, INTAKE_PAGES, "an intake act")
    edge = await desk.get_edge()
    snap = await edge.cases.snapshot(case_id)
    role = (
        intake_acts(login, snap.state).get(Trigger(trigger))
        if trigger in Trigger.__members__
        else None
    )
    if role is None or snap.state not in QUEUE:
        raise RoleNotAllowed(f"{trigger}: not an intake act {login.user.username} may take now")
    values = {k: v for k, v in posted.items() if k != CSRF_FIELD}
    try:
        data = payload(Trigger(trigger), posted)
        actor = actor_of(login, role)
        await edge.cases.act(case_id, act_input(trigger, actor, data))
    except FormErrors as err:
        return _queue_page(
            request, desk, login, db, failed=(trigger, case_id), errors=err.errors,
            values=values, message="入力内容を確認してください", status=422,
        )  # fmt: skip
    except CaseError as err:
        failure = http_error(err)
        log.info("intake act %s on %s refused: %s", trigger, case_id, err.message)
        return _queue_page(
            request, desk, login, db, failed=(trigger, case_id),
            errors={failure.field: failure.message} if failure.field else {}, values=values,
            message=f"{failure.message}({err.message})", status=failure.status,
        )  # fmt: skip
    return RedirectResponse(f"/intake?done={trigger}", status_code=303)


@router.get("/overview")
def overview(request: Request, desk: DeskDep, login: CurrentLogin, db: ReadModel) -> Response:
    require(login.user, INTAKE_PAGES, "the municipality's overview")
    style = desk.town.date_style
    today = today_jst()
    counts = repository.count_cases_by_state(db)
    overdue = [
        {
            "row": row,
            "deadline": format_date(row.next_deadline, style) if row.next_deadline else "",
            "days": (today - row.next_deadline).days if row.next_deadline else 0,
            "what": deadline_label(row.next_deadline_what),
            "state_label": STATE_LABELS[CaseState(row.state)],
        }
        for row in repository.overdue_cases(db, today=today)
    ]
    minutes = [
        {
            "row": row,
            "label": session_label(row.fiscal_year, row.ordinal),
            "due": format_date(row.minutes_due, style) if row.minutes_due else "",
        }
        for row in repository.overdue_minutes(db, today=today)
    ]
    return desk.templates.TemplateResponse(
        request,
        "overview.html",
        {
            **page_frame(desk, login),
            "today": format_date(today, style),
            "counts": [(STATE_LABELS[s], s.value, counts.get(s.value, 0)) for s in CaseState],
            "total": sum(counts.values()),
            "overdue": overdue,
            "minutes": minutes,
        },
    )
