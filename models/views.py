"""What a person sees of a case, a session and a council, as plain data built from their
snapshots: the CLI renders these with Rich, the web desk with templates, so both show the
same lines, columns and labels (``models.labels``).

A sheet is a head (label: value lines) and titled grids (columns and rows of text). A line's
``tone`` says how loudly to show it (a warning, an error); the text is the same everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel

from models.case import CaseSnapshot
from models.council import Council, MemberRole, Numbering, QuorumRule, SessionPlan
from models.council_registry import CouncilSnapshot
from models.jcalendar import (
    DateStyle,
    format_date,
    format_datetime_range,
    format_fiscal_year,
    format_weekday,
)
from models.labels import (
    APPROVED_BY_LABELS,
    CASTING_LABELS,
    CONDITION_LABELS,
    ITEM_STATUS_LABELS,
    MINUTES_LABELS,
    OBLIGATION_LAPSED,
    OBLIGATION_OVERDUE,
    OUTCOME_LABELS,
    QUORUM_LABELS,
    ROLE_LABELS,
    SESSION_STATE_LABELS,
    STATE_LABELS,
    TIE_LABELS,
    TRIGGER_LABELS,
)
from models.minutes import CLOSED_REASONS, OPENNESS, ROLE_TITLES
from models.municipality import MunicipalityConfig
from models.payloads import ApprovedBy
from models.session import AgendaItem, SessionSnapshot
from models.states import CaseState, Role
from models.tracking import TrackedObligation

JST = dt.timezone(dt.timedelta(hours=9))


class Tone(StrEnum):
    plain = "plain"
    warning = "warning"
    error = "error"


class Line(BaseModel):
    label: str
    value: str
    tone: Tone = Tone.plain


class Grid(BaseModel):
    title: str
    columns: list[str]
    rows: list[list[str]]


class CaseSheet(BaseModel):
    head: list[Line]
    conditions: Grid | None
    dues: Grid | None
    actions: Grid
    history: Grid


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


# -- a case ----------------------------------------------------------------------------


def case_sheet(snap: CaseSnapshot, town: MunicipalityConfig, role: Role | None) -> CaseSheet:
    """The case as a person reads it; the actions are those ``role`` may take (all if None)."""
    style = town.date_style
    doc = snap.document
    head = [
        Line(
            label="case", value=f"{snap.case_id}  ({snap.external_ref or 'no external reference'})"
        ),
        Line(label="件名", value=doc.title),
        Line(label="kind", value=f"{doc.kind} / {snap.category}"),
        Line(label="担当課", value=doc.department),
        Line(label="state", value=f"{snap.state} ({snap.label})"),
        Line(
            label="年度",
            value=format_fiscal_year(snap.fiscal_year, style, rule=town.fiscal_era_rule),
        ),
    ]
    if snap.next_deadline:
        when = format_date(snap.next_deadline, style)
        head.append(Line(label="next deadline", value=f"{when} — {snap.next_deadline_what}"))
    if snap.session:
        held = format_date(snap.session.held_on, style)
        text = f"{snap.session.council} {snap.session.label or ''} {held}"
        head.append(Line(label="session", value=text))
    if snap.decision:
        text = f"{snap.decision.outcome} ({len(snap.decision.conditions)} conditions)"
        head.append(Line(label="decision", value=text))
    if snap.answer:
        text = f"{snap.answer.number} {format_date(snap.answer.issued_on, style)}"
        head.append(Line(label="答申", value=text))
    for warning in snap.warnings:
        head.append(Line(label="warning", value=warning.message, tone=Tone.warning))
    if snap.parked:
        p = snap.parked
        text = f"{p.step} (transition {p.seq}) after {p.attempts} attempts: {p.error}"
        head.append(Line(label="parked", value=text, tone=Tone.error))
    return CaseSheet(
        head=head,
        conditions=_conditions(snap, style),
        dues=_dues(snap, style),
        actions=_actions(snap, role),
        history=_history(snap),
    )


def _conditions(snap: CaseSnapshot, style: DateStyle) -> Grid | None:
    if not snap.conditions:
        return None
    rows = [
        [
            str(c.number),
            c.condition.text,
            f"{c.condition.due.value} {format_date(c.due_on, style) if c.due_on else ''}",
            CONDITION_LABELS[c.status],
            "; ".join(e.file_ref for e in c.evidence),
        ]
        for c in snap.conditions
    ]
    return Grid(
        title="conditions (条件)",
        columns=["#", "condition", "due", "status", "evidence"],
        rows=rows,
    )


def _dues(snap: CaseSnapshot, style: DateStyle) -> Grid | None:
    if not (snap.obligations or snap.review or snap.next_review_on):
        return None
    rows: list[list[str]] = []
    for o in snap.obligations:
        cur = o.current
        status = (
            OBLIGATION_LAPSED
            if o.lapsed
            else OBLIGATION_OVERDUE
            if o.overdue
            else "—"
            if cur is None
            else ""
        )
        rows.append(
            [
                o.obligation.id,
                cur.what if cur else "(nothing more due)",
                format_date(cur.window_from, style) if cur and cur.window_from else "",
                format_date(cur.due_on, style) if cur else "",
                status,
                _last_done(o, style),
            ]
        )
    if snap.review:
        rows.append(
            [
                "re-review",
                f"第{snap.review.number}回 定期再審査への回答",
                "",
                format_date(snap.review.due_on, style),
                "open",
                "",
            ]
        )
    elif snap.next_review_on:
        rows.append(
            ["re-review", "次回の定期再審査", "", format_date(snap.next_review_on, style), "", ""]
        )
    return Grid(
        title="obligations (定期義務) and re-review",
        columns=["id", "next due", "from", "by", "status", "last done"],
        rows=rows,
    )


def _last_done(tracked: TrackedObligation, style: DateStyle) -> str:
    if not tracked.done:
        return ""
    last = tracked.done[-1].evidence
    extra = [f"立会 {last.witnessed_by}"] if last.witnessed_by else []
    extra += [last.erasure_certificate] if last.erasure_certificate else []
    return "; ".join([f"{format_date(last.on, style)} {last.file_ref}", *extra])


def _actions(snap: CaseSnapshot, role: Role | None) -> Grid:
    rows = [
        [
            action.trigger.value,
            TRIGGER_LABELS[action.trigger],
            ", ".join(f"{r} ({ROLE_LABELS[r]})" for r in action.roles),
            " / ".join(d.value for d in action.dest),
        ]
        for action in snap.allowed
        if role is None or role in action.roles
    ]
    return Grid(
        title="allowed next actions" + (f" for {role}" if role else ""),
        columns=["trigger", "", "by", "to"],
        rows=rows,
    )


def _history(snap: CaseSnapshot) -> Grid:
    rows = [
        [
            str(rec.seq),
            format_date(rec.on, DateStyle.seireki),
            rec.trigger.value if rec.trigger else "(created)",
            f"{rec.source or '—'} → {rec.dest}",
            f"{ROLE_LABELS[rec.actor.role]} {rec.actor.name}",
            rec.reason or "",
        ]
        for rec in snap.history
    ]
    rows += [
        [
            "admin",
            format_date(admin.at.date(), DateStyle.seireki),
            admin.action,
            f"{admin.step} #{admin.seq}",
            admin.actor.name,
            admin.reason,
        ]
        for admin in snap.admin_log
    ]
    return Grid(
        title="history", columns=["#", "on", "trigger", "from → to", "who", "why"], rows=rows
    )


class CaseListRow(Protocol):
    """A case as the read model lists it (``persistence.tables.CaseRow``)."""

    @property
    def case_id(self) -> str: ...
    @property
    def fiscal_year(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def department(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def next_deadline(self) -> dt.date | None: ...
    @property
    def next_deadline_what(self) -> str | None: ...


def case_list(rows: Sequence[CaseListRow], town: MunicipalityConfig) -> Grid:
    """Cases from the read model, one line each (long titles cut at 40 characters)."""
    out = []
    for row in rows:
        state = CaseState(row.state)
        out.append(
            [
                row.case_id,
                format_fiscal_year(row.fiscal_year, town.date_style, rule=town.fiscal_era_rule),
                f"{state} ({STATE_LABELS[state]})",
                row.kind,
                row.department,
                row.title if len(row.title) <= 40 else row.title[:39] + "…",
                f"{row.next_deadline} {row.next_deadline_what or ''}" if row.next_deadline else "",
            ]
        )
    return Grid(
        title=f"cases ({len(rows)})",
        columns=["case", "年度", "state", "kind", "担当課", "件名", "next deadline"],
        rows=out,
    )


# -- a council and its sessions ---------------------------------------------------------


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
        Line(label="state", value=f"{snap.state} ({SESSION_STATE_LABELS.get(snap.state, '')})"),
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
        ],
    )


def _agenda(snap: SessionSnapshot, style: DateStyle) -> Grid:
    rows = []
    for n, item in enumerate(snap.items, start=1):
        answer = ""
        if item.answer is not None:
            by = APPROVED_BY_LABELS[ApprovedBy(item.answer.approved_by)]
            answer = f"{item.answer.number} ({by}, {format_date(item.answer.issued_on, style)})"
        moved = " ".join(
            part
            for part in (
                f"← {item.carried_from}" if item.carried_from else "",
                f"→ {item.next_session}" if item.next_session else "",
            )
            if part
        )
        outcome = f"{item.outcome.value} ({OUTCOME_LABELS[item.outcome]})" if item.outcome else ""
        rows.append(
            [
                str(n),
                item.case_id,
                item.title,
                f"{item.status} ({ITEM_STATUS_LABELS.get(item.status, '')})",
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
