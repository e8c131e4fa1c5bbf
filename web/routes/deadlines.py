"""期限: what falls due for the user's department in the next 30, 60 or 90 days, and what is
overdue, from the read model. The chart is drawn by static/deadlines.js from the counts table
on the page (the table is the chart's accessible equivalent; no inline script)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response

from edge.cases import today_jst
from models.calendar.wareki import format_date
from models.labels import deadline_label
from persistence.due_dates import DueItem, due_until
from web.deps import CurrentLogin, DeskDep, ReadModel
from web.routes.cases import page_context, scope

router = APIRouter()

PERIODS = (30, 60, 90)


@dataclass(frozen=True)
class Bucket:
    label: str
    tone: str  # overdue, or "" for days still ahead
    count: int


def buckets(items: list[DueItem], today: dt.date) -> list[Bucket]:
    """How many fall due in each period: overdue, within 30 days, 31–60, 61–90."""
    ahead = [(i.due_on - today).days for i in items]
    result = [Bucket("期限超過", "overdue", sum(1 for d in ahead if d < 0))]
    for lo, hi in zip((-1, *PERIODS), PERIODS, strict=False):
        label = f"{hi}日以内" if lo < 0 else f"{lo + 1}〜{hi}日後"
        result.append(Bucket(label, "", sum(1 for d in ahead if lo < d <= hi)))
    return result


def when(item: DueItem, today: dt.date) -> str:
    days = (item.due_on - today).days
    if days < 0:
        return f"{-days}日超過"
    return "本日" if days == 0 else f"あと{days}日"


@router.get("/deadlines")
def deadlines(
    request: Request, desk: DeskDep, login: CurrentLogin, db: ReadModel, days: int = 30
) -> Response:
    department = scope(login.user)
    days = days if days in PERIODS else PERIODS[0]
    today = today_jst()
    items = due_until(db, department=department, until=today + dt.timedelta(days=PERIODS[-1]))
    style = desk.town.date_style

    def row(item: DueItem) -> dict[str, str]:
        return {
            "case_id": item.case_id,
            "title": item.title,
            "department": item.department,
            "what": deadline_label(item.what),
            "due": format_date(item.due_on, style),
            "from": format_date(item.window_from, style) if item.window_from else "",
            "when": when(item, today),
        }

    limit = today + dt.timedelta(days=days)
    return desk.templates.TemplateResponse(
        request,
        "deadlines.html",
        {
            **page_context(desk, login),
            "today": format_date(today, style),
            "days": days,
            "periods": PERIODS,
            "buckets": buckets(items, today),
            "overdue": [row(i) for i in items if i.due_on < today],
            "upcoming": [row(i) for i in items if today <= i.due_on <= limit],
            "anything": bool(items),
        },
    )
