"""審議会と会議: the councils and their sessions (read model), planning a session (an update on
the council, through the edge), and one session's page (the workflow's snapshot) with the acts
the session table allows the logged-in user now, each as a form (updates, through the edge).

Who may open and do what comes from the logged-in user's roles only (``web.access``); the
actor the engine records is built from the session, never from a posted field.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

import models.session.lifecycle as table
from edge import precedents
from edge.cases import today_jst
from edge.connect import Edge
from edge.sessions import request_model
from edge.users import Login
from models.calendar.jcalendar import fiscal_year
from models.calendar.wareki import format_date
from models.case.payloads import SessionRef
from models.case.states import Role
from models.errors import CaseError, RoleNotAllowed
from models.labels import (
    CATEGORY_LABELS,
    ITEM_STATUS_LABELS,
    MINUTES_LABELS,
    OUTCOME_LABELS,
    SESSION_ACT_LABELS,
    SESSION_STATE_LABELS,
    session_label,
)
from models.session.council import Openness, SessionPlan
from models.session.record import SessionRecord, SessionSnapshot, SessionState
from persistence import repository
from persistence.tables import CouncilRow, SessionRow
from web.access import SECRETARIAT_PAGES, SESSION_ACTING, SESSION_PAGES, actor_of, require
from web.auth import CSRF_FIELD, check_csrf
from web.deps import CurrentLogin, Desk, DeskDep, ReadModel
from web.errors import http_error
from web.forms import FormErrors
from web.frame import page_frame
from web.session_forms import (
    ACT_FIELDS,
    ITEM_ACTS,
    JST,
    PLAN_FIELDS,
    Choices,
    Field,
    act_request,
    check_request,
    session_plan,
    with_choices,
)

router = APIRouter()
log = logging.getLogger("toshin.desk")

OPEN_FOR_ITEMS = (SessionState.planned, SessionState.notice_sent)  # may take carried items
DONE_LABELS = {"plan_session": "会の計画", **SESSION_ACT_LABELS}


def _form_values(posted: dict[str, list[str]]) -> dict[str, str]:
    return {k: "\n".join(v) for k, v in posted.items() if k != CSRF_FIELD}


async def _posted(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    return {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}


# -- councils and sessions -------------------------------------------------------------------


def _sessions_page(
    request: Request,
    desk: Desk,
    login: Login,
    db: Session,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    style = desk.town.date_style
    councils = repository.list_councils(desk.engine)
    sessions = repository.list_sessions(desk.engine)
    by_council = [
        {
            "council": council,
            "sessions": [
                {
                    "row": s,
                    "label": session_label(s.fiscal_year, s.ordinal),
                    "held_on": format_date(s.held_on, style),
                    "state_label": SESSION_STATE_LABELS[SessionState(s.state)],
                    "minutes": MINUTES_LABELS.get(s.minutes, "") if s.minutes else "",  # type: ignore[call-overload]
                }
                for s in sessions
                if s.council_id == council.council_id
            ],
        }
        for council in councils
    ]
    can_plan = Role.secretariat in login.user.acting_roles()
    plan_fields = with_choices(
        PLAN_FIELDS, {"council_id": tuple((c.council_id, c.name) for c in councils)}
    )
    return desk.templates.TemplateResponse(
        request,
        "sessions.html",
        {
            **page_frame(desk, login),
            "councils": by_council,
            "can_plan": can_plan,
            "plan_fields": plan_fields,
            "errors": errors or {},
            "values": values if values is not None else plan_defaults(councils, sessions),
            "message": message,
        },
        status_code=status,
    )


def plan_defaults(councils: list[CouncilRow], sessions: list[SessionRow]) -> dict[str, str]:
    """What the plan form starts with: open to the public; with one council, that council
    and the next ordinal (第N回) of this fiscal year."""
    values = {"openness": Openness.open.value}
    if len(councils) == 1:
        this_year = fiscal_year(today_jst())
        held = [s.ordinal for s in sessions if s.fiscal_year == this_year]
        values |= {"council_id": councils[0].council_id, "ordinal": str(max(held, default=0) + 1)}
    return values


@router.get("/sessions")
def sessions_page(request: Request, desk: DeskDep, login: CurrentLogin, db: ReadModel) -> Response:
    require(login.user, SESSION_PAGES, "the sessions page")
    return _sessions_page(request, desk, login, db)


@router.post("/sessions")
async def plan_session(
    request: Request, desk: DeskDep, login: CurrentLogin, db: ReadModel
) -> Response:
    posted = await _posted(request)
    check_csrf(login, (posted.get(CSRF_FIELD) or [""])[0])
    require(login.user, SECRETARIAT_PAGES, "planning a session")
    if Role.secretariat not in login.user.acting_roles():
        raise RoleNotAllowed(f"plan_session: {login.user.username} is not the secretariat")
    values = _form_values(posted)
    councils = tuple((c.council_id, c.name) for c in repository.list_councils(desk.engine))
    try:
        plan = session_plan(posted, councils)
        edge = await desk.get_edge()
        snap = await edge.councils.plan(actor_of(login, Role.secretariat), plan)
    except FormErrors as err:
        return _sessions_page(
            request, desk, login, db, errors=err.errors, values=values,
            message="入力内容を確認してください", status=422,
        )  # fmt: skip
    except CaseError as err:
        failure = http_error(err)
        log.info("plan_session refused: %s", err.message)
        field = {"starts_at": "held_on", "ends_at": "ends"}.get(failure.field or "", failure.field)
        return _sessions_page(
            request, desk, login, db, errors={field: failure.message} if field else {},
            values=values, message=f"{failure.message}({err.message})", status=failure.status,
        )  # fmt: skip
    return RedirectResponse(f"/sessions/{snap.session_id}?done=plan_session", status_code=303)


# -- one session -----------------------------------------------------------------------------


def hours(plan: SessionPlan) -> str:
    """A session's hours in Japan: 14:00〜16:00."""
    return f"{plan.starts_at.astimezone(JST):%H:%M}〜{plan.ends_at.astimezone(JST):%H:%M}"


def acting_roles(login: Login) -> list[Role]:
    return [r for r in login.user.acting_roles() if r in SESSION_ACTING]


def allowed_acts(login: Login, snap: SessionSnapshot) -> dict[str, Role]:
    """The acts with a desk form the session table allows this user now, each with the role
    the user does it in."""
    acts: dict[str, Role] = {}
    for role in acting_roles(login):
        for action in table.allowed_actions(snap.state, role, minutes=snap.minutes):
            if action.act in ACT_FIELDS:
                acts.setdefault(action.act, role)
    return acts


def item_acts(acts: dict[str, Role], status: str) -> list[str]:
    """The item acts allowed on an agenda item in ``status`` (the table's ``item.needs``)."""
    return [
        act
        for act in acts
        if act in ITEM_ACTS
        and any(
            r.item is not None and status in r.item.needs for r in table.rules_of(table.Act(act))
        )
    ]


def _choices(db: Session, desk: Desk, record: SessionRecord) -> dict[str, Choices]:
    ready, _ = repository.page_cases(db, state="ready", offset=0, limit=200)
    later = [
        s
        for s in repository.list_sessions(desk.engine, council_id=record.plan.council_id)
        if s.session_id != record.plan.session_id and s.state in OPEN_FOR_ITEMS
    ]
    return {
        "case_ids": tuple((c.case_id, f"{c.title}({c.department})") for c in ready),
        "present": tuple(
            (m.member_id, m.name)
            for m in record.council.members
            if m.serves_on(record.plan.held_on)
        ),
        "next_session": tuple(
            (s.session_id, f"{session_label(s.fiscal_year, s.ordinal)} {s.held_on}") for s in later
        ),
    }


def _precedents(desk: Desk, title: str, case_id: str) -> list[dict[str, Any]]:
    """The conditions of the past cases most like this one, for the secretariat drafting its
    decision to copy from (edge/precedents.py)."""
    style = desk.town.date_style
    return [
        {
            "title": s.hit.title,
            "number": s.hit.answer_number or "",
            "on": format_date(s.hit.on, style),
            "conditions": s.conditions,
        }
        for s in precedents.suggestions(desk.engine, title, case_id=case_id)
    ]


async def _session_page(
    request: Request,
    desk: Desk,
    login: Login,
    db: Session,
    session_id: str,
    *,
    done: str | None = None,
    failed: tuple[str, str] | None = None,  # (act, case id or "")
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    edge = await desk.get_edge()
    snap = await edge.sessions.session(session_id)
    record = await edge.sessions.record(session_id)
    style = desk.town.date_style
    acts = allowed_acts(login, snap)
    choices = _choices(db, desk, record)
    forms = {act: with_choices(ACT_FIELDS[act], choices) for act in acts}
    present = set(snap.attendance.present) if snap.attendance else set()
    minutes = (
        await edge.sessions.minutes(session_id, public=False)
        if snap.state is SessionState.closed
        else None
    )
    return desk.templates.TemplateResponse(
        request,
        "session.html",
        {
            **page_frame(desk, login),
            "snap": snap,
            "label": session_label(snap.plan.fiscal_year, snap.plan.ordinal),
            "state_label": SESSION_STATE_LABELS[snap.state],
            "held_on": format_date(snap.plan.held_on, style),
            "date": lambda d: format_date(d, style) if d else "—",
            "times": hours(snap.plan),
            "members": [
                {"name": m.name, "present": m.member_id in present}
                for m in record.council.members
                if m.serves_on(snap.plan.held_on)
            ],
            "items": [
                {
                    "item": item,
                    "status": ITEM_STATUS_LABELS[item.status],
                    "category": CATEGORY_LABELS[item.category],
                    "outcome": OUTCOME_LABELS[item.outcome] if item.outcome else "",
                    "acts": item_acts(acts, item.status),
                    "precedents": _precedents(desk, item.title, item.case_id)
                    if "decide_item" in item_acts(acts, item.status)
                    else [],
                }
                for item in snap.items
            ],
            "session_acts": [a for a in acts if a not in ITEM_ACTS],
            "sees_cases": any(r in SECRETARIAT_PAGES for r in login.user.roles),
            "forms": forms,
            "act_labels": SESSION_ACT_LABELS,
            "minutes_label": MINUTES_LABELS[snap.minutes] if snap.minutes else "",
            "minutes": minutes,
            "done": DONE_LABELS.get(done or "", ""),
            "failed": failed or ("", ""),
            "errors": errors or {},
            "values": values or {},
            "message": message,
        },
        status_code=status,
    )


@router.get("/sessions/{session_id}")
async def session_page(
    request: Request,
    desk: DeskDep,
    login: CurrentLogin,
    db: ReadModel,
    session_id: str,
    done: str | None = None,
) -> Response:
    require(login.user, SESSION_PAGES, "a session page")
    return await _session_page(request, desk, login, db, session_id, done=done)


@router.post("/sessions/{session_id}/acts/{act}")
async def session_act(
    request: Request,
    desk: DeskDep,
    login: CurrentLogin,
    db: ReadModel,
    session_id: str,
    act: str,
) -> Response:
    posted = await _posted(request)
    check_csrf(login, (posted.get(CSRF_FIELD) or [""])[0])
    require(login.user, SESSION_PAGES, "a session act")
    edge = await desk.get_edge()
    snap = await edge.sessions.session(session_id)
    role = allowed_acts(login, snap).get(act)
    if role is None:
        raise RoleNotAllowed(f"{act}: not a session act {login.user.username} may take now")
    case_id = (posted.get("case_id") or [""])[0] if act in ITEM_ACTS else ""
    record = await edge.sessions.record(session_id)
    fields: list[Field] = with_choices(ACT_FIELDS[act], _choices(db, desk, record))
    values = _form_values(posted)
    base: dict[str, Any] = {"actor": actor_of(login, role)}
    if case_id:
        base["case_id"] = case_id
    try:
        owner = await _condition_owner(edge, act, case_id, posted)
        data = act_request(act, fields, posted, base, owner=owner)
        if "next_session" in data:
            data["next_session"] = await _next_ref(edge, session_id, data["next_session"])
        model = request_model(act)
        check_request(model, data, fields)
        await edge.sessions.act(session_id, act, model.model_validate(data))
    except FormErrors as err:
        return await _session_page(
            request, desk, login, db, session_id, failed=(act, case_id), errors=err.errors,
            values=values, message="入力内容を確認してください", status=422,
        )  # fmt: skip
    except CaseError as err:
        failure = http_error(err)
        log.info("session act %s on %s refused: %s", act, session_id, err.message)
        names = {f.name for f in fields}
        field = failure.field if failure.field in names else None
        return await _session_page(
            request, desk, login, db, session_id, failed=(act, case_id),
            errors={field: failure.message} if field else {}, values=values,
            message=f"{failure.message}({err.message})", status=failure.status,
        )  # fmt: skip
    anchor = f"#item-{case_id}" if case_id else ""
    return RedirectResponse(f"/sessions/{session_id}?done={act}{anchor}", status_code=303)


async def _condition_owner(edge: Edge, act: str, case_id: str, posted: dict[str, list[str]]) -> str:
    """Who fulfils the conditions a decision sets: the item's department (the case's query)."""
    if act != "decide_item" or not "".join(posted.get("conditions", [])).strip():
        return ""
    return (await edge.cases.snapshot(case_id)).document.department


async def _next_ref(edge: Edge, session_id: str, next_id: str) -> SessionRef:
    try:
        return await edge.sessions.next_ref(session_id, next_id)
    except CaseError as err:
        raise FormErrors(
            {"next_session": f"次の会: {err.message.removeprefix('--next: ')}"}
        ) from None
