"""類似答申: search the past answers and public minutes (edge/precedents.py), for the
secretariat and department heads. Results show the case title, the answer's number and date
in the municipality's date style (和暦), and the passage that matched."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from edge import precedents
from models.calendar.wareki import format_date
from models.errors import InvalidPayload
from models.labels import PASSAGE_LABELS
from models.precedents import PassageSource
from web.access import require
from web.deps import CurrentLogin, DeskDep
from web.frame import page_frame

router = APIRouter()


@router.get("/precedents")
def precedent_search(request: Request, desk: DeskDep, login: CurrentLogin, q: str = "") -> Response:
    require(login.user, precedents.PRECEDENT_ROLES, "類似答申")
    error: str | None = None
    hits: list[dict[str, str]] = []
    if q.strip():
        try:
            found = precedents.search(desk.engine, login.user, q)
        except InvalidPayload as err:
            error = err.message
        else:
            style = desk.town.date_style
            hits = [
                {
                    "case_id": h.case_id,
                    "title": h.title,
                    "number": h.answer_number or "",
                    "on": format_date(h.on, style),
                    "department": h.department,
                    "source": PASSAGE_LABELS[PassageSource(h.source)],
                    "snippet": h.snippet,
                    "matches": str(h.matches),
                }
                for h in found
            ]
    return desk.templates.TemplateResponse(
        request,
        "precedents.html",
        {**page_frame(desk, login), "q": q, "hits": hits, "error": error, "searched": bool(q)},
        status_code=400 if error else 200,
    )
