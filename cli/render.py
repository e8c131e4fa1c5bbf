"""Rich views of cases for people: a case sheet, a case list, a step table."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from cli.scenario_runner import StepResult
from models.case import CaseSnapshot
from models.jcalendar import DateStyle, format_date, format_fiscal_year
from models.labels import CONDITION_LABELS, ROLE_LABELS, STATE_LABELS, TRIGGER_LABELS
from models.lifecycle import RULES
from models.municipality import MunicipalityConfig
from models.states import CaseState, Role
from models.tracking import TrackedObligation
from persistence.tables import CaseRow


def case_sheet(snap: CaseSnapshot, town: MunicipalityConfig, role: Role | None) -> list[object]:
    style = town.date_style
    doc = snap.document
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("case", f"{snap.case_id}  ({snap.external_ref or 'no external reference'})")
    head.add_row("件名", doc.title)
    head.add_row("kind", f"{doc.kind} / {snap.category}")
    head.add_row("担当課", doc.department)
    head.add_row("state", f"{snap.state} ({snap.label})")
    head.add_row("年度", format_fiscal_year(snap.fiscal_year, style, rule=town.fiscal_era_rule))
    if snap.next_deadline:
        head.add_row(
            "next deadline", f"{format_date(snap.next_deadline, style)} — {snap.next_deadline_what}"
        )
    if snap.session:
        held = format_date(snap.session.held_on, style)
        head.add_row("session", f"{snap.session.council} {snap.session.label or ''} {held}")
    if snap.decision:
        head.add_row(
            "decision", f"{snap.decision.outcome} ({len(snap.decision.conditions)} conditions)"
        )
    if snap.answer:
        head.add_row("答申", f"{snap.answer.number} {format_date(snap.answer.issued_on, style)}")
    for warning in snap.warnings:
        head.add_row("[yellow]warning[/yellow]", warning.message)
    if snap.parked:
        head.add_row(
            "[red]parked[/red]",
            f"{snap.parked.step} (transition {snap.parked.seq}) after {snap.parked.attempts} "
            f"attempts: {snap.parked.error}",
        )
    actions = Table(title="allowed next actions" + (f" for {role}" if role else ""))
    for col in ("trigger", "", "by", "to"):
        actions.add_column(col)
    for action in snap.allowed:
        if role is not None and role not in action.roles:
            continue
        actions.add_row(
            action.trigger.value,
            TRIGGER_LABELS[action.trigger],
            ", ".join(f"{r} ({ROLE_LABELS[r]})" for r in action.roles),
            " / ".join(d.value for d in action.dest),
        )
    history = Table(title="history")
    for col in ("#", "on", "trigger", "from → to", "who", "why"):
        history.add_column(col)
    for rec in snap.history:
        history.add_row(
            str(rec.seq),
            format_date(rec.on, DateStyle.seireki),
            rec.trigger.value if rec.trigger else "(created)",
            f"{rec.source or '—'} → {rec.dest}",
            f"{ROLE_LABELS[rec.actor.role]} {rec.actor.name}",
            rec.reason or "",
        )
    for admin in snap.admin_log:
        history.add_row(
            "admin",
            format_date(admin.at.date(), DateStyle.seireki),
            admin.action,
            f"{admin.step} #{admin.seq}",
            admin.actor.name,
            admin.reason,
        )
    parts: list[object] = [head]
    if snap.conditions:
        conditions = Table(title="conditions (条件)")
        for col in ("#", "condition", "due", "status", "evidence"):
            conditions.add_column(col)
        for c in snap.conditions:
            conditions.add_row(
                str(c.number),
                c.condition.text,
                f"{c.condition.due.value} {format_date(c.due_on, style) if c.due_on else ''}",
                CONDITION_LABELS[c.status],
                "; ".join(e.file_ref for e in c.evidence),
            )
        parts.append(conditions)
    if snap.obligations or snap.review or snap.next_review_on:
        dues = Table(title="obligations (定期義務) and re-review")
        for col in ("id", "next due", "from", "by", "status", "last done"):
            dues.add_column(col)
        for o in snap.obligations:
            cur = o.current
            status = "失効" if o.lapsed else "期限超過" if o.overdue else "—" if cur is None else ""
            dues.add_row(
                o.obligation.id,
                cur.what if cur else "(nothing more due)",
                format_date(cur.window_from, style) if cur and cur.window_from else "",
                format_date(cur.due_on, style) if cur else "",
                status,
                _last_done(o, style),
            )
        if snap.review:
            dues.add_row(
                "re-review",
                f"第{snap.review.number}回 定期再審査への回答",
                "",
                format_date(snap.review.due_on, style),
                "open",
            )
        elif snap.next_review_on:
            dues.add_row(
                "re-review", "次回の定期再審査", "", format_date(snap.next_review_on, style), ""
            )
        parts.append(dues)
    return [*parts, actions, history]


def _last_done(tracked: TrackedObligation, style: DateStyle) -> str:
    if not tracked.done:
        return ""
    last = tracked.done[-1].evidence
    extra = [f"立会 {last.witnessed_by}"] if last.witnessed_by else []
    extra += [last.erasure_certificate] if last.erasure_certificate else []
    return "; ".join([f"{format_date(last.on, style)} {last.file_ref}", *extra])


def case_list(rows: Sequence[CaseRow], town: MunicipalityConfig) -> Table:
    table = Table(title=f"cases ({len(rows)})")
    for col in ("case", "年度", "state", "kind", "担当課", "件名", "next deadline"):
        table.add_column(col)
    for row in rows:
        state = CaseState(row.state)
        table.add_row(
            row.case_id,
            format_fiscal_year(row.fiscal_year, town.date_style, rule=town.fiscal_era_rule),
            f"{state} ({STATE_LABELS[state]})",
            row.kind,
            row.department,
            row.title if len(row.title) <= 40 else row.title[:39] + "…",
            f"{row.next_deadline} {row.next_deadline_what or ''}" if row.next_deadline else "",
        )
    return table


def step_table(results: Sequence[StepResult], title: str) -> Table:
    table = Table(title=title)
    for col in ("#", "case", "trigger", "as", "expected", "got", "ok", "detail"):
        table.add_column(col)
    for r in results:
        mark = "[green]ok[/green]" if r.ok else "[red]MISMATCH[/red]"
        table.add_row(str(r.number), r.case, r.trigger, r.role, r.expected, r.got, mark, r.detail)
    return table


def lifecycle_table() -> Table:
    table = Table(title="case lifecycle (models/lifecycle.py)")
    for col in ("trigger", "", "from", "to", "by", "guards"):
        table.add_column(col)
    for rule in RULES:
        table.add_row(
            rule.trigger.value,
            TRIGGER_LABELS[rule.trigger],
            ", ".join(s.value for s in rule.sources),
            rule.dest.value,
            ", ".join(r.value for r in rule.roles),
            ", ".join(g.__name__ for g in rule.guards),
        )
    return table
