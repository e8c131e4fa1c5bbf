"""A case as a person reads it (the case sheet) and the list of cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel

from models.calendar.jcalendar import DateStyle, format_date, format_fiscal_year
from models.case.record import CaseSnapshot
from models.case.states import CaseState, Role
from models.labels import (
    CONDITION_LABELS,
    DUE_RULE_LABELS,
    OBLIGATION_LAPSED,
    OBLIGATION_OVERDUE,
    ROLE_LABELS,
    STATE_LABELS,
    TRIGGER_LABELS,
)
from models.municipality import MunicipalityConfig
from models.tracking.conditions import TrackedObligation
from models.views.sheet import Grid, Line, Tone


class CaseSheet(BaseModel):
    head: list[Line]
    conditions: Grid | None
    dues: Grid | None
    actions: Grid
    history: Grid


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
            " ".join(
                [DUE_RULE_LABELS[c.condition.due], format_date(c.due_on, style) if c.due_on else ""]
            ).strip(),
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
    rows += [
        [
            "reset",
            format_date(mark.at.date(), DateStyle.seireki),
            f"reset to transition {mark.seq}",
            f"→ {mark.state}",
            "engine",
            f"at {mark.at.isoformat(timespec='seconds')}",
        ]
        for mark in snap.resets
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
