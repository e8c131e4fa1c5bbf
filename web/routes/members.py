"""委員のページ: a council member's sessions, read-only. Upcoming sessions with their agenda
(once the notice is sent) and their materials (the 諮問書 of each item, once the materials
are sent); past sessions' minutes, whose redacted passages only members who attended read
(everyone else reads the public version, each passage replaced by its legal basis).

A member sees only the councils they sit on (``web.access.seat_of``); no act is offered.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from edge.cases import today_jst
from edge.documents import subject_documents
from models.calendar.wareki import format_date
from models.documents.spec import DOC_LABELS, DocType
from models.labels import CATEGORY_LABELS, SESSION_STATE_LABELS, session_label
from models.session.record import SessionState
from persistence import repository
from persistence.tables import SessionRow
from web.access import MEMBER_PAGES, require, seat_of
from web.deps import CurrentLogin, DeskDep, ReadModel
from web.errors import PageForbidden
from web.frame import page_frame
from web.routes.sessions import hours

router = APIRouter()

AGENDA_SENT = (
    SessionState.notice_sent,
    SessionState.materials_sent,
    SessionState.opened,
    SessionState.failed_quorum,
    SessionState.closed,
)
MATERIALS_SENT = AGENDA_SENT[1:]
UPCOMING = (
    SessionState.planned,
    SessionState.notice_sent,
    SessionState.materials_sent,
    SessionState.opened,
)
PAST_SHOWN = 10


@router.get("/member")
async def member_home(request: Request, desk: DeskDep, login: CurrentLogin) -> Response:
    require(login.user, MEMBER_PAGES, "the council member's page")
    edge = await desk.get_edge()
    style = desk.town.date_style
    today = today_jst()
    councils: list[dict[str, Any]] = []
    for row in repository.list_councils(desk.engine):
        council = (await edge.councils.council(row.council_id)).council
        seat = seat_of(council, login.user)
        if seat is None:
            continue
        sessions = repository.list_sessions(desk.engine, council_id=row.council_id)

        def shown(s: SessionRow) -> dict[str, Any]:
            return {
                "row": s,
                "label": session_label(s.fiscal_year, s.ordinal),
                "held_on": format_date(s.held_on, style),
                "state_label": SESSION_STATE_LABELS[SessionState(s.state)],
            }

        upcoming = [shown(s) for s in sessions if s.state in UPCOMING and s.held_on >= today]
        past = [shown(s) for s in reversed(sessions) if s.state not in UPCOMING]
        councils.append({"name": council.name, "upcoming": upcoming, "past": past[:PAST_SHOWN]})
    return desk.templates.TemplateResponse(
        request,
        "member.html",
        {**page_frame(desk, login), "councils": councils, "today": format_date(today, style)},
    )


@router.get("/member/sessions/{session_id}")
async def member_session(
    request: Request, desk: DeskDep, login: CurrentLogin, db: ReadModel, session_id: str
) -> Response:
    require(login.user, MEMBER_PAGES, "the council member's session page")
    edge = await desk.get_edge()
    record = await edge.sessions.record(session_id)
    seat = seat_of(record.council, login.user)
    if seat is None:
        raise PageForbidden(f"{login.user.username} has no seat on {record.council.council_id}")
    style = desk.town.date_style
    attended = record.attendance is not None and seat.member_id in record.attendance.present
    materials = []
    if record.state in MATERIALS_SENT:
        for item in record.items:
            case = await edge.cases.snapshot(item.case_id)
            href = f"/member/sessions/{session_id}/items/{item.case_id}/shimonsho.pdf"
            materials.append({"item": item, "document": case.document, "href": href})
    closed = record.state is SessionState.closed
    minutes = await edge.sessions.minutes(session_id, public=not attended) if closed else None
    shown_types = (
        (DocType.kaigiroku, DocType.kaigiroku_public) if attended else (DocType.kaigiroku_public,)
    )
    minutes_files = [
        {
            "label": DOC_LABELS[d.doc_type],
            "format": d.format.value.upper(),
            "href": f"/member/sessions/{session_id}/minutes/{d.id}",
        }
        for d in (subject_documents(db, session_id) if closed else [])
        if d.doc_type in shown_types
    ]
    return desk.templates.TemplateResponse(
        request,
        "member_session.html",
        {
            **page_frame(desk, login),
            "record": record,
            "label": session_label(record.plan.fiscal_year, record.plan.ordinal),
            "state_label": SESSION_STATE_LABELS[record.state],
            "held_on": format_date(record.plan.held_on, style),
            "times": hours(record.plan),
            "agenda_sent": record.state in AGENDA_SENT,
            "materials": materials,
            "categories": CATEGORY_LABELS,
            "minutes": minutes,
            "minutes_files": minutes_files,
            "attended": attended,
        },
    )
