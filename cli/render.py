"""Rich renderings of the views people read (``models.views``): sheets, lists, step tables."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from edge.scenarios import StepResult
from models.case.lifecycle import RULES
from models.labels import NO_NUMBERS_YET, TRIGGER_LABELS
from models.views import CaseSheet, CouncilSheet, Grid, Line, SessionSheet, Tone

_COLOUR = {Tone.warning: "yellow", Tone.error: "red"}


def _label(line: Line) -> str:
    colour = _COLOUR.get(line.tone)
    return f"[{colour}]{line.label}[/{colour}]" if colour else line.label


def lines(rows: Sequence[Line], *, tone_values: bool = False) -> Table:
    """Label: value lines; a loud line shows its label (or, with tone_values, its value) in
    colour."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for line in rows:
        colour = _COLOUR.get(line.tone)
        if tone_values and colour:
            grid.add_row(line.label, f"[{colour}]{line.value}[/{colour}]")
        elif tone_values:
            grid.add_row(line.label, line.value)
        else:
            grid.add_row(_label(line), line.value)
    return grid


def table(grid: Grid) -> Table:
    out = Table(title=grid.title)
    for col in grid.columns:
        out.add_column(col)
    for row in grid.rows:
        out.add_row(*row)
    return out


def case_sheet(sheet: CaseSheet) -> list[object]:
    parts: list[object] = [lines(sheet.head)]
    parts += [table(g) for g in (sheet.conditions, sheet.dues) if g is not None]
    return [*parts, table(sheet.actions), table(sheet.history)]


def session_sheet(sheet: SessionSheet) -> list[object]:
    parts: list[object] = [lines(sheet.head, tone_values=True), table(sheet.agenda)]
    parts += [table(g) for g in sheet.qa]
    if sheet.attendance is not None:
        parts.append(lines(sheet.attendance))
    if sheet.redactions is not None:
        parts.append(table(sheet.redactions))
    parts += [f"{_label(note)} {note.value}" for note in sheet.notes]
    return parts


def council_sheet(sheet: CouncilSheet) -> list[object]:
    parts: list[object] = [lines(sheet.head), table(sheet.roster), table(sheet.sessions)]
    if sheet.numbers is None:
        return [*parts, NO_NUMBERS_YET]
    return [*parts, table(sheet.numbers)]


def step_table(results: Sequence[StepResult], title: str) -> Table:
    out = Table(title=title)
    for col in ("#", "case", "trigger", "as", "expected", "got", "ok", "detail"):
        out.add_column(col)
    for r in results:
        mark = "[green]ok[/green]" if r.ok else "[red]MISMATCH[/red]"
        out.add_row(str(r.number), r.case, r.trigger, r.role, r.expected, r.got, mark, r.detail)
    return out


def lifecycle_table() -> Table:
    out = Table(title="case lifecycle (models/case/lifecycle.py)")
    for col in ("trigger", "", "from", "to", "by", "guards"):
        out.add_column(col)
    for rule in RULES:
        out.add_row(
            rule.trigger.value,
            TRIGGER_LABELS[rule.trigger],
            ", ".join(s.value for s in rule.sources),
            rule.dest.value,
            ", ".join(r.value for r in rule.roles),
            ", ".join(g.__name__ for g in rule.guards),
        )
    return out
