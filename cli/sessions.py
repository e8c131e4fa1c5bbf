"""`starter.py session ...`: plan a council session (第N回), show it, and one command per act of
the secretariat (事務局), the chair (会長) and the council (審議会) on it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import render
from cli.common import checked, console, fail, open_edge, print_json, run, signed_in
from edge.connect import Edge
from edge.councils import list_sessions
from edge.loaders import load_model
from edge.sessions import decide_fields, not_on_agenda
from models.case.payloads import ApprovedBy
from models.session.council import SessionPlan
from models.session.record import ItemOutcome, SessionSnapshot, SessionState
from models.views import absentees, session_list, session_sheet
from settings import Settings

app = typer.Typer(
    help="Plan and run council sessions: agenda, notice, materials, attendance, Q&A, "
    "decisions, answers (答申), minutes (会議録).",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
OnOpt = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="business date of the act (default: today, JST)"),
]

JST = dt.timezone(dt.timedelta(hours=9))


async def _present(edge: Edge, snap: SessionSnapshot, as_json: bool) -> None:
    council = (await edge.sessions.record(snap.session_id)).council
    if as_json:
        print_json({**snap.model_dump(mode="json"), "absentees": absentees(snap, council)})
        return
    today = dt.datetime.now(JST).date()
    for part in render.session_sheet(session_sheet(snap, council, edge.municipality, today)):
        console.print(part)


# -- sending acts -----------------------------------------------------------------------


def _send(
    session_id: str,
    name: str,
    on: dt.datetime | None,
    fields: dict[str, Any],
    as_json: bool,
    next_id: str | None = None,
) -> SessionSnapshot:
    """Send the act ``name`` as the signed-in user, in a role the act takes."""

    async def work() -> SessionSnapshot:
        edge = await open_edge()
        snap = await edge.sessions.act_as_person(
            session_id,
            name,
            fields,
            user=signed_in(edge.settings),
            on=on.date() if on else None,
            next_session=next_id,
        )
        await _present(edge, snap, as_json)
        return snap

    return run(work)


def _split(values: list[str] | None) -> list[str]:
    """Repeated and/or comma-separated option values."""
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


# -- commands ---------------------------------------------------------------------------


@app.command()
def plan(
    file: Annotated[Path, typer.Argument(help="YAML or JSON SessionPlan")],
    as_json: JsonOpt = False,
) -> None:
    """Plan a session of a council (as secretariat); starts_at must be in the future."""

    async def work() -> None:
        session_plan = load_model(SessionPlan, file)
        edge = await open_edge()
        await _present(
            edge,
            await edge.councils.plan_as_person(session_plan, signed_in(edge.settings)),
            as_json,
        )

    run(work)


@app.command()
def show(session_id: str, as_json: JsonOpt = False) -> None:
    """Show a session: state, quorum, due dates, agenda, Q&A, attendance, minutes, warnings."""

    async def work() -> None:
        edge = await open_edge()
        await _present(edge, await edge.sessions.session(session_id), as_json)

    run(work)


@app.command()
def add(
    session_id: str,
    case_ids: Annotated[list[str], typer.Argument(help="cases in ready (付議待ち)")],
    on: OnOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put cases on the agenda (secretariat); each case is scheduled for this session."""
    fields = {"case_ids": case_ids}
    snap = _send(session_id, "add_items", on, fields, as_json)
    reasons = not_on_agenda(snap, case_ids)
    if reasons:
        raise fail(f"not put on the agenda: {'; '.join(reasons)}")


@app.command()
def remove(
    session_id: str,
    case_id: str,
    reason: Annotated[str, typer.Option(help="why it leaves the agenda (the case records it)")],
    on: OnOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a case off the agenda before the materials go out; it waits in ready again."""
    _send(session_id, "remove_item", on, {"case_id": case_id, "reason": reason}, as_json)


@app.command()
def notice(session_id: str, on: OnOpt = None, as_json: JsonOpt = False) -> None:
    """The convocation notice (開催通知) went out (secretariat)."""
    _send(session_id, "send_notice", on, {}, as_json)


@app.command()
def materials(session_id: str, on: OnOpt = None, as_json: JsonOpt = False) -> None:
    """The materials (資料) went to the members (secretariat); every case records it."""
    _send(session_id, "send_materials", on, {}, as_json)


@app.command("open")
def open_(
    session_id: str,
    present: Annotated[list[str], typer.Option(help="member ids present: m1,m2,…")],
    staff: Annotated[list[str] | None, typer.Option(help="事務局職員 (repeat or a,b)")] = None,
    explainer: Annotated[list[str] | None, typer.Option(help="説明者・参考人")] = None,
    observers: Annotated[int, typer.Option(help="傍聴者数")] = 0,
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
    _send(session_id, "open_session", on, fields, as_json)


@app.command("carry-over")
def carry_over(
    session_id: str,
    next_: Annotated[str, typer.Option("--next", help="the session the agenda goes to")],
    reason: Annotated[str, typer.Option(help="e.g. 定足数に達せず流会")],
    on: OnOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """After a failed quorum, carry the agenda over to the next session (secretariat)."""
    fields = {"reason": reason}
    _send(session_id, "carry_over", on, fields, as_json, next_)


@app.command("item-open")
def item_open(
    session_id: str,
    case_id: str,
    on: OnOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The chair opens deliberation of one item (会長)."""
    fields = {"case_id": case_id}
    _send(session_id, "open_item", on, fields, as_json)


@app.command()
def qa(
    session_id: str,
    case_id: str,
    question: Annotated[str, typer.Option(help="the question")],
    role: Annotated[str, typer.Option(help="speaker: 委員/会長/担当課/事務局/参考人")] = "委員",
    answer: Annotated[str | None, typer.Option(help="the answer given")] = None,
    speaker: Annotated[str | None, typer.Option(help="who asked")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a question and its answer in the deliberation of an item (secretariat)."""
    entry = {"speaker_role": role, "speaker": speaker, "question": question, "answer": answer}
    fields = {"case_id": case_id, "qa": entry}
    _send(session_id, "record_qa", None, fields, as_json)


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
    on: OnOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The council's decision on an item, with its votes (審議会)."""
    fields: dict[str, Any] = {"case_id": case_id, "outcome": outcome, "reason": reason}
    fields |= checked(
        lambda: decide_fields(
            payload,
            outcome=outcome,
            yes=yes,
            no=no,
            abstain=abstain,
            chair_casting=chair_casting,
            next_session=next_,
        )
    )
    _send(session_id, "decide_item", on, fields, as_json, next_)


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
    _send(session_id, "issue_answer", on, fields, as_json)


@app.command()
def close(session_id: str, on: OnOpt = None, as_json: JsonOpt = False) -> None:
    """Close the session (secretariat); the minutes are drafted and due."""
    _send(session_id, "close_session", on, {}, as_json)


@app.command()
def redact(
    session_id: str,
    passage: Annotated[str, typer.Option(help="text left out of the public minutes")],
    basis: Annotated[str, typer.Option(help="legal basis, e.g. 情報公開条例第6条第7号")],
    as_json: JsonOpt = False,
) -> None:
    """Leave a passage out of the public minutes, with its legal basis (secretariat)."""
    fields = {"redaction": {"passage": passage, "legal_basis": basis}}
    _send(session_id, "redact", None, fields, as_json)


@app.command("approve-minutes")
def approve_minutes(session_id: str, as_json: JsonOpt = False) -> None:
    """The chair approves the minutes (会長)."""
    _send(session_id, "approve_minutes", None, {}, as_json)


@app.command("publish-minutes")
def publish_minutes(session_id: str, on: OnOpt = None, as_json: JsonOpt = False) -> None:
    """Publish the (redacted) minutes (secretariat)."""
    _send(session_id, "publish_minutes", on, {}, as_json)


@app.command("retry-documents")
def retry_documents(session_id: str, as_json: JsonOpt = False) -> None:
    """Generate again the session documents that failed (after fixing the template)."""
    _send(session_id, "retry_documents", None, {}, as_json)


@app.command("list")
def list_(
    council: Annotated[str | None, typer.Option(help="only this council's sessions")] = None,
    state: Annotated[SessionState | None, typer.Option()] = None,
    fiscal_year: Annotated[int | None, typer.Option(help="e.g. 2017 for 平成29年度")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List sessions from the read model (soonest first), with filters."""
    rows = list_sessions(
        Settings(),
        council_id=council,
        state=state.value if state else None,
        fiscal_year=fiscal_year,
    )
    if as_json:
        print_json([row.model_dump(mode="json") for row in rows])
    else:
        console.print(render.table(session_list(rows)))
