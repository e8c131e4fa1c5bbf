"""A council and its sessions as a person reads them (the council sheet, the session sheet)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel

from models.calendar.jcalendar import (
    DateStyle,
    format_date,
    format_datetime_range,
    format_fiscal_year,
    format_weekday,
)
from models.case.payloads import ApprovedBy
from models.labels import (
    APPROVED_BY_LABELS,
    CASTING_LABELS,
    ITEM_STATUS_LABELS,
    MINUTES_LABELS,
    OUTCOME_LABELS,
    PARKED_MARK,
    QUORUM_LABELS,
    SESSION_STATE_LABELS,
    TIE_LABELS,
    session_label,
)
from models.municipality import MunicipalityConfig
from models.session.council import Council, MemberRole, Numbering, QuorumRule, SessionPlan
from models.session.council_registry import CouncilSnapshot
from models.session.minutes import CLOSED_REASONS, OPENNESS, ROLE_TITLES
from models.session.record import AgendaItem, MinutesState, SessionSnapshot, SessionState
from models.views.sheet import Grid, Line, Tone

JST = dt.timezone(dt.timedelta(hours=9))


class SessionSheet(BaseModel):
    head: list[Line]
    agenda: Grid
    qa: list[Grid]
    attendance: list[Line] | None
    redactions: Grid | None
    notes: list[Line]  # reminders sent, warnings


class CouncilSheet(BaseModel):
    head: list[Line]
    roster: Grid
    sessions: Grid
    numbers: Grid | None  # None: no answer number handed out yet


def quorum_needed(council: Council) -> int:
    """How many members must be present for the council to sit."""
    if council.quorum is QuorumRule.half_of_seats:
        return (council.seats + 1) // 2
    return council.seats // 2 + 1


def held_text(plan: SessionPlan, town: MunicipalityConfig) -> str:
    start, end = plan.starts_at.astimezone(JST), plan.ends_at.astimezone(JST)
    day = plan.held_on
    return (
        f"{format_date(day, town.date_style)}{format_weekday(day)} "
        f"{format_datetime_range(start, end)}"
    )


def member_label(council: Council, member_id: str) -> str:
    member = council.member(member_id)
    if member is None:
        return member_id
    return f"{member.name}（{ROLE_TITLES[member.role]}）"


def absentees(snap: SessionSnapshot, council: Council) -> list[str]:
    """Members serving on the session day who are not present (once attendance is taken)."""
    if snap.attendance is None:
        return []
    present = set(snap.attendance.present)
    return [
        m.member_id
        for m in council.members
        if m.member_id not in present and m.serves_on(snap.plan.held_on)
    ]


def _due_line(
    due: dt.date | None, sent: dt.date | None, style: DateStyle, today: dt.date
) -> tuple[str, Tone]:
    if due is None:
        return "—", Tone.plain
    text = f"due {format_date(due, style)}"
    if sent is None:
        if today > due:
            return text + " · not sent, overdue", Tone.error
        return text + " · not sent", Tone.plain
    if sent > due:
        return f"{text} · sent {format_date(sent, style)} (late)", Tone.warning
    return f"{text} · sent {format_date(sent, style)}", Tone.plain


def _votes(item: AgendaItem) -> str:
    if item.votes is None:
        return ""
    v = item.votes
    casting = "" if v.chair_casting is None else f" {CASTING_LABELS[v.chair_casting]}"
    return f"賛{v.yes} 否{v.no} 棄{v.abstain}{casting}"


def session_sheet(
    snap: SessionSnapshot, council: Council, town: MunicipalityConfig, today: dt.date
) -> SessionSheet:
    """The session as a person reads it; ``today`` (JST) tells an overdue notice."""
    style, plan = town.date_style, snap.plan
    fy = format_fiscal_year(plan.fiscal_year, style, rule=town.fiscal_era_rule)
    closed = ""
    if plan.closed_reason is not None:
        closed = f" — {plan.closed_reason_text or CLOSED_REASONS[plan.closed_reason]}"
    notice, notice_tone = _due_line(snap.notice_due, snap.notice_sent_on, style, today)
    materials, materials_tone = _due_line(snap.materials_due, snap.materials_sent_on, style, today)
    head = [
        Line(label="session", value=f"{snap.session_id}  {fy}第{plan.ordinal}回 {snap.council}"),
        Line(label="日時", value=held_text(plan, town)),
        Line(label="場所", value=plan.place),
        Line(label="公開", value=f"{OPENNESS[plan.openness]}{closed}"),
        Line(label="state", value=f"{snap.state} ({SESSION_STATE_LABELS[snap.state]})"),
        Line(label="quorum", value=snap.quorum),
        Line(label="開催通知", value=notice, tone=notice_tone),
        Line(label="資料送付", value=materials, tone=materials_tone),
    ]
    if snap.minutes is not None:
        due = f", due {format_date(snap.minutes_due, style)}" if snap.minutes_due else ""
        text = f"{snap.minutes} ({MINUTES_LABELS[snap.minutes]}){due}"
        head.append(Line(label="会議録", value=text))
    else:
        head.append(Line(label="会議録", value="not yet (drafted when the session closes)"))
    return SessionSheet(
        head=head,
        agenda=_agenda(snap, style),
        qa=[
            Grid(
                title=f"質疑 Q&A: {item.title}",
                columns=["発言者", "質問", "回答"],
                rows=[
                    [
                        e.speaker_role + (f"（{e.speaker}）" if e.speaker else ""),
                        e.question,
                        e.answer or "",
                    ]
                    for e in item.qa
                ],
            )
            for item in snap.items
            if item.qa
        ],
        attendance=_attendance(snap, council),
        redactions=(
            Grid(
                title="非公開部分 redactions",
                columns=["passage", "legal basis"],
                rows=[[r.passage, r.legal_basis] for r in snap.redactions],
            )
            if snap.redactions
            else None
        ),
        notes=[
            *(
                Line(label="reminder sent:", value=f"{what} overdue", tone=Tone.warning)
                for what in snap.reminders
            ),
            *(
                Line(label="warning", value=f"{w.code}: {w.message}", tone=Tone.warning)
                for w in snap.warnings
            ),
            *(
                Line(
                    label=f"{PARKED_MARK} {item.parked.case_id}",
                    value=f"{item.parked.trigger}: {item.parked.error}",
                    tone=Tone.warning,
                )
                for item in snap.items
                if item.parked is not None
            ),
        ],
    )


def _agenda(snap: SessionSnapshot, style: DateStyle) -> Grid:
    rows = []
    for n, item in enumerate(snap.items, start=1):
        answer = ""
        if item.answer is not None:
            by = APPROVED_BY_LABELS[ApprovedBy(item.answer.approved_by)]
            answer = f"{item.answer.number} ({by}, {format_date(item.answer.issued_on, style)})"
        if item.parked is not None:
            answer = f"{answer} {PARKED_MARK}".strip()
        moved = " ".join(
            part
            for part in (
                f"← {item.carried_from}" if item.carried_from else "",
                f"→ {item.next_session}" if item.next_session else "",
            )
            if part
        )
        outcome = f"{item.outcome.value} ({OUTCOME_LABELS[item.outcome]})" if item.outcome else ""
        status = f"{item.status} ({ITEM_STATUS_LABELS.get(item.status, '')})"
        if item.parked is not None:  # the case's step after the session's act is parked
            status += f" 停止中: {item.parked.trigger}: {item.parked.error}"[:300]
        rows.append(
            [
                str(n),
                item.case_id,
                item.title,
                f"{item.status} ({ITEM_STATUS_LABELS[item.status]})",
                outcome,
                _votes(item),
                answer,
                moved,
            ]
        )
    return Grid(
        title=f"議題 agenda ({len(snap.items)})",
        columns=["#", "case", "件名", "status", "outcome", "votes", "答申", "from / to"],
        rows=rows,
    )


def _attendance(snap: SessionSnapshot, council: Council) -> list[Line] | None:
    a = snap.attendance
    if a is None:
        return None
    away = absentees(snap, council)
    return [
        Line(label="出席委員", value="、".join(member_label(council, m) for m in a.present) or "—"),
        Line(label="欠席委員", value="、".join(member_label(council, m) for m in away) or "なし"),
        Line(label="事務局", value="、".join(a.staff) or "—"),
        Line(label="説明者", value="、".join(a.explainers) or "—"),
        Line(label="傍聴者", value=f"{a.observers}人"),
    ]


def council_sheet(snap: CouncilSnapshot, town: MunicipalityConfig) -> CouncilSheet:
    """The council: rules, roster, planned sessions and the answer numbers handed out."""
    c = snap.council
    style = town.date_style
    voting = sum(m.role is not MemberRole.expert for m in c.members)
    numbering = (
        f"通し番号 (cumulative) from 第{c.first_number}号"
        if c.numbering is Numbering.cumulative
        else "年度ごと (per fiscal year) from 第1号"
    )
    head = [
        Line(label="council", value=f"{c.council_id}  {c.name}"),
        Line(label="seats", value=f"{c.seats} (委員 {voting}, 専門委員 {len(c.members) - voting})"),
        Line(
            label="定足数",
            value=f"{QUORUM_LABELS[c.quorum]} ({c.quorum}): "
            f"{quorum_needed(c)} of {c.seats} present",
        ),
        Line(label="可否同数", value=TIE_LABELS[c.chair_breaks_ties]),
        Line(label="答申番号", value=numbering),
        Line(
            label="lead times",
            value=f"開催通知 {c.notice_lead_business_days} business days, "
            f"資料送付 {c.materials_lead_business_days} business days before the session",
        ),
        Line(label="会議録", value=f"published within {c.minutes_due_days} days of the session"),
    ]
    roster = Grid(
        title=f"members ({len(c.members)})",
        columns=["id", "氏名", "役職", "専門", "任期"],
        rows=[
            [
                m.member_id,
                m.name,
                ROLE_TITLES[m.role],
                "、".join(m.expertise),
                f"{format_date(m.term_start, style)}〜"
                f"{format_date(m.term_end, style) if m.term_end else ''}",
            ]
            for m in c.members
        ],
    )
    sessions = Grid(
        title=f"planned sessions ({len(snap.sessions)})",
        columns=["session", "回", "日時", "場所", "公開"],
        rows=[
            [
                p.session_id,
                f"{format_fiscal_year(p.fiscal_year, style, rule=town.fiscal_era_rule)}"
                f"第{p.ordinal}回",
                held_text(p, town),
                p.place,
                OPENNESS[p.openness],
            ]
            for p in snap.sessions
        ],
    )
    numbers = None
    if snap.numbers:
        numbers = Grid(
            title=f"答申番号 handed out ({len(snap.numbers)})",
            columns=["case", "number"],
            rows=[[case_id, number] for case_id, number in snap.numbers.items()],
        )
    return CouncilSheet(head=head, roster=roster, sessions=sessions, numbers=numbers)


class SessionListRow(Protocol):
    """What a session list shows of a read-model row (persistence's SessionRow)."""

    session_id: str
    council_id: str
    fiscal_year: int
    ordinal: int
    held_on: dt.date
    state: str
    minutes: str | None
    item_count: int
    warning_count: int


class CouncilListRow(Protocol):
    council_id: str
    name: str
    seats: int
    quorum: str
    member_count: int
    sessions_planned: int


def session_list(rows: Sequence[SessionListRow]) -> Grid:
    """Sessions from the read model, one line each."""
    out = []
    for row in rows:
        state = SessionState(row.state)
        minutes = (
            f"{row.minutes} ({MINUTES_LABELS[MinutesState(row.minutes)]})" if row.minutes else ""
        )
        out.append(
            [
                row.session_id,
                row.council_id,
                session_label(row.fiscal_year, row.ordinal),
                row.held_on.isoformat(),
                f"{state} ({SESSION_STATE_LABELS[state]})",
                str(row.item_count),
                minutes,
                str(row.warning_count or ""),
            ]
        )
    return Grid(
        title=f"sessions ({len(rows)})",
        columns=["session", "council", "回", "held on", "state", "items", "minutes", "warnings"],
        rows=out,
    )


def council_list(rows: Sequence[CouncilListRow]) -> Grid:
    """Councils from the read model, one line each."""
    return Grid(
        title=f"councils ({len(rows)})",
        columns=["council", "name", "seats", "quorum", "members", "sessions planned"],
        rows=[
            [
                r.council_id,
                r.name,
                str(r.seats),
                f"{QUORUM_LABELS[QuorumRule(r.quorum)]} ({r.quorum})",
                str(r.member_count),
                str(r.sessions_planned),
            ]
            for r in rows
        ],
    )
