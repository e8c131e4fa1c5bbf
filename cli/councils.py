"""`starter.py council ...`: register and show councils (審議会); and what the session commands
(cli/sessions.py) share with them: the council gateway, strict input parsing, labels."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.table import Table

from cli.common import console, open_gateway, print_json, run
from cli.scenario_runner import load_structured
from council_gateway import CouncilGateway
from models.council import Council, MemberRole, Numbering, QuorumRule, SessionPlan
from models.council_registry import CouncilSnapshot
from models.errors import InvalidPayload, describe_validation_error
from models.jcalendar import (
    format_date,
    format_datetime_range,
    format_fiscal_year,
    format_weekday,
)
from models.minutes import OPENNESS, ROLE_TITLES
from models.municipality import MunicipalityConfig

app = typer.Typer(
    help="Register and show councils (審議会): roster, rules, sessions, answer numbers.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
JST = dt.timezone(dt.timedelta(hours=9))
M = TypeVar("M", bound=BaseModel)

QUORUM_LABELS = {
    QuorumRule.majority_of_seats: "委員の過半数",
    QuorumRule.half_of_seats: "委員の半数以上",
}


def parse(model: type[M], data: Any, where: str) -> M:
    """Validate input strictly; every bad field goes into one InvalidPayload line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload(f"{where}: {describe_validation_error(exc)}") from None


def load_model(model: type[M], path: Path) -> M:
    """A YAML (1.2 booleans) or JSON file as ``model``; errors name the file."""
    return parse(model, load_structured(path), str(path))


async def open_councils() -> CouncilGateway:
    """The council gateway on the same settings, municipality and client as the case one."""
    cases = await open_gateway()
    return CouncilGateway(cases.client, cases.settings, cases.municipality)


def quorum_needed(council: Council) -> int:
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


def council_sheet(snap: CouncilSnapshot, town: MunicipalityConfig) -> list[object]:
    c = snap.council
    style = town.date_style
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("council", f"{c.council_id}  {c.name}")
    voting = sum(m.role is not MemberRole.expert for m in c.members)
    head.add_row("seats", f"{c.seats} (委員 {voting}, 専門委員 {len(c.members) - voting})")
    head.add_row(
        "定足数",
        f"{QUORUM_LABELS[c.quorum]} ({c.quorum}): {quorum_needed(c)} of {c.seats} present",
    )
    head.add_row(
        "可否同数",
        "会長の決するところによる"
        if c.chair_breaks_ties
        else "否決 (the chair does not break ties)",
    )
    numbering = (
        f"通し番号 (cumulative) from 第{c.first_number}号"
        if c.numbering is Numbering.cumulative
        else "年度ごと (per fiscal year) from 第1号"
    )
    head.add_row("答申番号", numbering)
    head.add_row(
        "lead times",
        f"開催通知 {c.notice_lead_business_days} business days, "
        f"資料送付 {c.materials_lead_business_days} business days before the session",
    )
    head.add_row("会議録", f"published within {c.minutes_due_days} days of the session")

    roster = Table(title=f"members ({len(c.members)})")
    for col in ("id", "氏名", "役職", "専門", "任期"):
        roster.add_column(col)
    for m in c.members:
        end = format_date(m.term_end, style) if m.term_end else ""
        roster.add_row(
            m.member_id,
            m.name,
            ROLE_TITLES[m.role],
            "、".join(m.expertise),
            f"{format_date(m.term_start, style)}〜{end}",
        )

    sessions = Table(title=f"planned sessions ({len(snap.sessions)})")
    for col in ("session", "回", "日時", "場所", "公開"):
        sessions.add_column(col)
    for p in snap.sessions:
        sessions.add_row(
            p.session_id,
            f"{format_fiscal_year(p.fiscal_year, style, rule=town.fiscal_era_rule)}第{p.ordinal}回",
            held_text(p, town),
            p.place,
            OPENNESS[p.openness],
        )

    if not snap.numbers:
        return [head, roster, sessions, "答申番号: none handed out yet"]
    numbers = Table(title=f"答申番号 handed out ({len(snap.numbers)})")
    numbers.add_column("case")
    numbers.add_column("number")
    for case_id, number in snap.numbers.items():
        numbers.add_row(case_id, number)
    return [head, roster, sessions, numbers]


def _show(snap: CouncilSnapshot, town: MunicipalityConfig, as_json: bool) -> None:
    if as_json:
        print_json(snap)
        return
    for part in council_sheet(snap, town):
        console.print(part)


@app.command()
def register(
    file: Annotated[Path, typer.Argument(help="YAML or JSON file with the council")],
    as_json: JsonOpt = False,
) -> None:
    """Register a council: members (one chair), quorum and vote rules, numbering, lead times."""

    async def work() -> None:
        council = load_model(Council, file)
        gateway = await open_councils()
        _show(await gateway.register(council), gateway.municipality, as_json)

    run(work)


@app.command()
def show(council_id: str, as_json: JsonOpt = False) -> None:
    """Show a council: roster with roles, rules, planned sessions, answer numbers handed out."""

    async def work() -> None:
        gateway = await open_councils()
        _show(await gateway.council(council_id), gateway.municipality, as_json)

    run(work)
