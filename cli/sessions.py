"""`starter.py session ...`: plan a council session (第N回), show it, and one command per act of
the secretariat (事務局), the chair (会長) and the council (審議会) on it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.common import console, fail, print_json, run
from cli.councils import JST, held_text, load_model, member_label, open_councils, parse
from cli.scenario_runner import load_structured
from council_gateway import CouncilGateway
from models.case import Actor
from models.council import Council, SessionPlan
from models.errors import GuardFailed, InvalidPayload
from models.jcalendar import format_date, format_fiscal_year
from models.labels import ROLE_LABELS
from models.minutes import CLOSED_REASONS, OPENNESS
from models.municipality import MunicipalityConfig
from models.payloads import ApprovedBy, SessionRef
from models.session import (
    AddItems,
    AgendaItem,
    CarryOver,
    DecideItem,
    IssueAnswer,
    ItemAct,
    ItemOutcome,
    MinutesState,
    OpenSession,
    RecordQA,
    Redact,
    SessionAct,
    SessionSnapshot,
    SessionState,
)
from models.states import Role

app = typer.Typer(
    help="Plan and run council sessions: agenda, notice, materials, attendance, Q&A, "
    "decisions, answers (答申), minutes (会議録).",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
ActorOpt = Annotated[str | None, typer.Option(help="the person acting (default: the role)")]
OnOpt = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="business date of the act (default: today, JST)"),
]

STATE_LABELS = {
    SessionState.planned: "開催予定",
    SessionState.notice_sent: "開催通知済",
    SessionState.materials_sent: "資料送付済",
    SessionState.opened: "開会中",
    SessionState.failed_quorum: "流会",
    SessionState.closed: "閉会",
}
STATUS_LABELS = {
    "on_agenda": "付議",
    "deliberating": "審議中",
    "decided": "議決済・答申待ち",
    "answered": "答申済",
    "continued": "継続審議",
    "noted": "報告了承",
    "converted": "諮問へ切替",
    "carried_over": "次回へ延期",
}
OUTCOME_LABELS = {
    ItemOutcome.approve: "可",
    ItemOutcome.approve_with_conditions: "条件付き可",
    ItemOutcome.reject: "否",
    ItemOutcome.continue_: "継続審議",
    ItemOutcome.noted: "了承",
    ItemOutcome.convert: "諮問へ切替",
}
MINUTES_LABELS = {
    MinutesState.drafting: "作成中",
    MinutesState.approved: "会長承認済",
    MinutesState.published: "公開済",
}
DECIDE_PAYLOAD_KEYS = ("conditions", "opinions", "action_items", "summary")


# -- showing a session -------------------------------------------------------------------


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


def _due_line(due: dt.date | None, sent: dt.date | None, style: Any) -> str:
    if due is None:
        return "—"
    text = f"due {format_date(due, style)}"
    if sent is None:
        today = dt.datetime.now(JST).date()
        return text + (" · [red]not sent, overdue[/red]" if today > due else " · not sent")
    late = " [yellow](late)[/yellow]" if sent > due else ""
    return f"{text} · sent {format_date(sent, style)}{late}"


def _votes(item: AgendaItem) -> str:
    if item.votes is None:
        return ""
    v = item.votes
    casting = {True: " 会長裁決:可", False: " 会長裁決:否", None: ""}[v.chair_casting]
    return f"賛{v.yes} 否{v.no} 棄{v.abstain}{casting}"


def session_sheet(
    snap: SessionSnapshot, council: Council, town: MunicipalityConfig
) -> list[object]:
    style, plan = town.date_style, snap.plan
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    fy = format_fiscal_year(plan.fiscal_year, style, rule=town.fiscal_era_rule)
    head.add_row("session", f"{snap.session_id}  {fy}第{plan.ordinal}回 {snap.council}")
    head.add_row("日時", held_text(plan, town))
    head.add_row("場所", plan.place)
    closed = ""
    if plan.closed_reason is not None:
        closed = f" — {plan.closed_reason_text or CLOSED_REASONS[plan.closed_reason]}"
    head.add_row("公開", f"{OPENNESS[plan.openness]}{closed}")
    head.add_row("state", f"{snap.state} ({STATE_LABELS[snap.state]})")
    head.add_row("quorum", snap.quorum)
    head.add_row("開催通知", _due_line(snap.notice_due, snap.notice_sent_on, style))
    head.add_row("資料送付", _due_line(snap.materials_due, snap.materials_sent_on, style))
    if snap.minutes is not None:
        due = f", due {format_date(snap.minutes_due, style)}" if snap.minutes_due else ""
        head.add_row("会議録", f"{snap.minutes} ({MINUTES_LABELS[snap.minutes]}){due}")
    else:
        head.add_row("会議録", "not yet (drafted when the session closes)")
    parts: list[object] = [head]

    agenda = Table(title=f"議題 agenda ({len(snap.items)})")
    for col in ("#", "case", "件名", "status", "outcome", "votes", "答申", "from / to"):
        agenda.add_column(col)
    for n, item in enumerate(snap.items, start=1):
        answer = ""
        if item.answer is not None:
            by = "会長一任" if item.answer.approved_by == ApprovedBy.chair else "審議会"
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
        agenda.add_row(
            str(n),
            item.case_id,
            item.title,
            f"{item.status} ({STATUS_LABELS.get(item.status.value, '')})",
            outcome,
            _votes(item),
            answer,
            moved,
        )
    parts.append(agenda)

    for item in snap.items:
        if not item.qa:
            continue
        qa = Table(title=f"質疑 Q&A: {item.title}")
        for col in ("発言者", "質問", "回答"):
            qa.add_column(col)
        for entry in item.qa:
            who = entry.speaker_role + (f"（{entry.speaker}）" if entry.speaker else "")
            qa.add_row(who, entry.question, entry.answer or "")
        parts.append(qa)

    if snap.attendance is not None:
        att = Table.grid(padding=(0, 2))
        att.add_column(style="bold")
        att.add_column()
        a = snap.attendance
        att.add_row("出席委員", "、".join(member_label(council, m) for m in a.present) or "—")
        away = absentees(snap, council)
        att.add_row("欠席委員", "、".join(member_label(council, m) for m in away) or "なし")
        att.add_row("事務局", "、".join(a.staff) or "—")
        att.add_row("説明者", "、".join(a.explainers) or "—")
        att.add_row("傍聴者", f"{a.observers}人")
        parts.append(att)

    if snap.redactions:
        red = Table(title="非公開部分 redactions")
        red.add_column("passage")
        red.add_column("legal basis")
        for r in snap.redactions:
            red.add_row(r.passage, r.legal_basis)
        parts.append(red)
    for what in snap.reminders:
        parts.append(f"[yellow]reminder sent:[/yellow] {what} overdue")
    for warning in snap.warnings:
        parts.append(f"[yellow]warning[/yellow] {warning.code}: {warning.message}")
    return parts


async def _present(gateway: CouncilGateway, snap: SessionSnapshot, as_json: bool) -> None:
    council = (await gateway.record(snap.session_id)).council
    if as_json:
        print_json({**snap.model_dump(mode="json"), "absentees": absentees(snap, council)})
        return
    for part in session_sheet(snap, council, gateway.municipality):
        console.print(part)


# -- sending acts -----------------------------------------------------------------------


async def _next_ref(gateway: CouncilGateway, session_id: str, next_id: str) -> SessionRef:
    """The next session as the cases record it, looked up in the engine."""
    this = await gateway.session(session_id)
    nxt = await gateway.session(next_id)
    if nxt.plan.council_id != this.plan.council_id:
        raise InvalidPayload(
            f"--next: session {next_id} belongs to council {nxt.plan.council_id}, "
            f"not {this.plan.council_id}"
        )
    if nxt.state not in (SessionState.planned, SessionState.notice_sent):
        raise GuardFailed(
            f"--next: session {next_id} is {nxt.state}; items can be carried only into a "
            "session that is planned or notice_sent"
        )
    return SessionRef(
        session_id=nxt.session_id,
        council=nxt.council,
        held_on=nxt.plan.held_on,
        label=f"{nxt.plan.fiscal_year}年度第{nxt.plan.ordinal}回",
    )


def _send(
    session_id: str,
    name: str,
    model: type[SessionAct],
    role: Role,
    actor: str | None,
    on: dt.datetime | None,
    fields: dict[str, Any],
    as_json: bool,
    next_id: str | None = None,
) -> SessionSnapshot:
    async def work() -> SessionSnapshot:
        data = {
            "actor": Actor(role=role, name=actor or ROLE_LABELS[role]),
            "on": on.date() if on else None,
            **fields,
        }
        gateway = await open_councils()
        if next_id is not None:
            data["next_session"] = await _next_ref(gateway, session_id, next_id)
        snap = await gateway.act(session_id, name, parse(model, data, name))
        await _present(gateway, snap, as_json)
        return snap

    return run(work)


def _split(values: list[str] | None) -> list[str]:
    """Repeated and/or comma-separated option values."""
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


# -- commands ---------------------------------------------------------------------------


@app.command()
def plan(
    file: Annotated[Path, typer.Argument(help="YAML or JSON SessionPlan")],
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Plan a session of a council (as secretariat); starts_at must be in the future."""

    async def work() -> None:
        session_plan = load_model(SessionPlan, file)
        gateway = await open_councils()
        who = Actor(role=Role.secretariat, name=actor or ROLE_LABELS[Role.secretariat])
        await _present(gateway, await gateway.plan(who, session_plan), as_json)

    run(work)


@app.command()
def show(session_id: str, as_json: JsonOpt = False) -> None:
    """Show a session: state, quorum, due dates, agenda, Q&A, attendance, minutes, warnings."""

    async def work() -> None:
        gateway = await open_councils()
        await _present(gateway, await gateway.session(session_id), as_json)

    run(work)


@app.command()
def add(
    session_id: str,
    case_ids: Annotated[list[str], typer.Argument(help="cases in ready (付議待ち)")],
    actor: ActorOpt = None,
    on: OnOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put cases on the agenda (secretariat); each case is scheduled for this session."""
    fields = {"case_ids": case_ids}
    snap = _send(session_id, "add_items", AddItems, Role.secretariat, actor, on, fields, as_json)
    on_agenda = {i.case_id for i in snap.items}
    missing = [c for c in case_ids if c not in on_agenda]
    if missing:
        why = [w.message for w in snap.warnings if w.code == "not_scheduled"]
        reasons = [next((m for m in why if m.startswith(f"{c}:")), c) for c in missing]
        raise fail(f"not put on the agenda: {'; '.join(reasons)}")


@app.command()
def notice(
    session_id: str, actor: ActorOpt = None, on: OnOpt = None, as_json: JsonOpt = False
) -> None:
    """The convocation notice (開催通知) went out (secretariat)."""
    _send(session_id, "send_notice", SessionAct, Role.secretariat, actor, on, {}, as_json)


@app.command()
def materials(
    session_id: str, actor: ActorOpt = None, on: OnOpt = None, as_json: JsonOpt = False
) -> None:
    """The materials (資料) went to the members (secretariat); every case records it."""
    _send(session_id, "send_materials", SessionAct, Role.secretariat, actor, on, {}, as_json)


@app.command("open")
def open_(
    session_id: str,
    present: Annotated[list[str], typer.Option(help="member ids present: m1,m2,…")],
    staff: Annotated[list[str] | None, typer.Option(help="事務局職員 (repeat or a,b)")] = None,
    explainer: Annotated[list[str] | None, typer.Option(help="説明者・参考人")] = None,
    observers: Annotated[int, typer.Option(help="傍聴者数")] = 0,
    actor: ActorOpt = None,
    on: OnOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record attendance and open the session (secretariat); without quorum it fails (流会)."""
    attendance = {
        "present": _split(present),
        "staff": _split(staff),
        "explainers": _split(explainer),
        "observers": observers,
    }
    fields = {"attendance": attendance}
    _send(session_id, "open_session", OpenSession, Role.secretariat, actor, on, fields, as_json)


@app.command("carry-over")
def carry_over(
    session_id: str,
    next_: Annotated[str, typer.Option("--next", help="the session the agenda goes to")],
    reason: Annotated[str, typer.Option(help="e.g. 定足数に達せず流会")],
    actor: ActorOpt = None,
    on: OnOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """After a failed quorum, carry the agenda over to the next session (secretariat)."""
    fields = {"reason": reason}
    _send(session_id, "carry_over", CarryOver, Role.secretariat, actor, on, fields, as_json, next_)


@app.command("item-open")
def item_open(
    session_id: str,
    case_id: str,
    actor: ActorOpt = None,
    on: OnOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The chair opens deliberation of one item (会長)."""
    fields = {"case_id": case_id}
    _send(session_id, "open_item", ItemAct, Role.chair, actor, on, fields, as_json)


@app.command()
def qa(
    session_id: str,
    case_id: str,
    question: Annotated[str, typer.Option(help="the question")],
    role: Annotated[str, typer.Option(help="speaker: 委員/会長/担当課/事務局/参考人")] = "委員",
    answer: Annotated[str | None, typer.Option(help="the answer given")] = None,
    speaker: Annotated[str | None, typer.Option(help="who asked")] = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a question and its answer in the deliberation of an item (secretariat)."""
    entry = {"speaker_role": role, "speaker": speaker, "question": question, "answer": answer}
    fields = {"case_id": case_id, "qa": entry}
    _send(session_id, "record_qa", RecordQA, Role.secretariat, actor, None, fields, as_json)


@app.command()
def decide(
    session_id: str,
    case_id: str,
    outcome: Annotated[ItemOutcome, typer.Option(help="the council's decision")],
    yes: Annotated[int | None, typer.Option("--yes", help="votes for")] = None,
    no: Annotated[int | None, typer.Option("--no", help="votes against")] = None,
    abstain: Annotated[int | None, typer.Option("--abstain", help="abstentions")] = None,
    chair_casting: Annotated[
        bool, typer.Option("--chair-casting", help="on a tie the chair votes for (可否同数)")
    ] = False,
    payload: Annotated[
        Path | None, typer.Option(help="YAML/JSON: conditions, opinions, action_items, summary")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="for continue / convert")] = None,
    next_: Annotated[str | None, typer.Option("--next", help="for continue")] = None,
    actor: ActorOpt = None,
    on: OnOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The council's decision on an item, with its votes (審議会)."""
    fields: dict[str, Any] = {"case_id": case_id, "outcome": outcome, "reason": reason}
    if payload is not None:
        try:
            extra = load_structured(payload)
        except InvalidPayload as err:
            raise fail(f"InvalidPayload: {err.message}") from None
        if not isinstance(extra, dict):
            raise fail(f"InvalidPayload: {payload}: the payload must be a mapping")
        unknown = sorted(set(extra) - set(DECIDE_PAYLOAD_KEYS))
        if unknown:
            raise fail(
                f"InvalidPayload: {payload}: unknown fields {unknown} "
                f"(allowed: {', '.join(DECIDE_PAYLOAD_KEYS)})"
            )
        fields.update(extra)
    if yes is not None or no is not None or abstain is not None:
        fields["votes"] = {
            "yes": yes or 0,
            "no": no or 0,
            "abstain": abstain or 0,
            "chair_casting": True if chair_casting else None,
        }
    elif chair_casting:
        raise fail("InvalidPayload: --chair-casting needs the votes (--yes/--no/--abstain)")
    if outcome is ItemOutcome.continue_ and next_ is None:
        raise fail("InvalidPayload: continue needs --next NEXT_SESSION_ID and --reason")
    if outcome is not ItemOutcome.continue_ and next_ is not None:
        raise fail(f"InvalidPayload: --next is only for --outcome continue, not {outcome.value}")
    _send(session_id, "decide_item", DecideItem, Role.council, actor, on, fields, as_json, next_)


@app.command()
def answer(
    session_id: str,
    case_id: str,
    conclusion: Annotated[str, typer.Option(help="結論")],
    summary: Annotated[str | None, typer.Option(help="説明要旨")] = None,
    reasons: Annotated[str | None, typer.Option(help="判断理由")] = None,
    by: Annotated[ApprovedBy, typer.Option(help="approved by the session or the chair")] = (
        ApprovedBy.session
    ),
    actor: ActorOpt = None,
    on: OnOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Number and issue the answer (答申) drafted from the decision (会長)."""
    fields = {
        "case_id": case_id,
        "conclusion": conclusion,
        "explanation_summary": summary,
        "reasons": reasons,
        "approved_by": by.value,
    }
    _send(session_id, "issue_answer", IssueAnswer, Role.chair, actor, on, fields, as_json)


@app.command()
def close(
    session_id: str, actor: ActorOpt = None, on: OnOpt = None, as_json: JsonOpt = False
) -> None:
    """Close the session (secretariat); the minutes are drafted and due."""
    _send(session_id, "close_session", SessionAct, Role.secretariat, actor, on, {}, as_json)


@app.command()
def redact(
    session_id: str,
    passage: Annotated[str, typer.Option(help="text left out of the public minutes")],
    basis: Annotated[str, typer.Option(help="legal basis, e.g. 情報公開条例第6条第7号")],
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Leave a passage out of the public minutes, with its legal basis (secretariat)."""
    fields = {"redaction": {"passage": passage, "legal_basis": basis}}
    _send(session_id, "redact", Redact, Role.secretariat, actor, None, fields, as_json)


@app.command("approve-minutes")
def approve_minutes(session_id: str, actor: ActorOpt = None, as_json: JsonOpt = False) -> None:
    """The chair approves the minutes (会長)."""
    _send(session_id, "approve_minutes", SessionAct, Role.chair, actor, None, {}, as_json)


@app.command("publish-minutes")
def publish_minutes(
    session_id: str, actor: ActorOpt = None, on: OnOpt = None, as_json: JsonOpt = False
) -> None:
    """Publish the (redacted) minutes (secretariat)."""
    _send(session_id, "publish_minutes", SessionAct, Role.secretariat, actor, on, {}, as_json)


@app.command("retry-documents")
def retry_documents(session_id: str, actor: ActorOpt = None, as_json: JsonOpt = False) -> None:
    """Generate again the session documents that failed (after fixing the template)."""
    _send(session_id, "retry_documents", SessionAct, Role.secretariat, actor, None, {}, as_json)
