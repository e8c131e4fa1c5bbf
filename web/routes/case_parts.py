"""The parts of the case page built from the case's snapshot: the lifecycle with the current
state lit (from THE table, through ``models.case.diagram``), the conditions with their
evidence (uploaded files as links), and the generated documents (no server paths)."""

from __future__ import annotations

from dataclasses import dataclass

from edge.evidence import parse_ref
from models.calendar.clock import JST
from models.calendar.wareki import DateStyle, format_date
from models.case.diagram import arrows_from, ends, stages
from models.case.lifecycle import AUTOMATIC
from models.case.record import CaseSnapshot
from models.case.states import CaseState, Role
from models.documents.spec import DOC_LABELS, DocumentInfo
from models.labels import (
    CONDITION_LABELS,
    DUE_RULE_LABELS,
    ROLE_LABELS,
    STATE_LABELS,
    TRIGGER_LABELS,
)
from models.tracking.conditions import AWAITING_EVIDENCE


@dataclass(frozen=True)
class Stage:
    label: str
    tone: str  # current, passed, or ""


@dataclass(frozen=True)
class NextStep:
    act: str
    dest: str
    who: str


@dataclass(frozen=True)
class Lifecycle:
    stages: list[Stage]
    ends: list[Stage]
    next_steps: list[NextStep]
    current: str


def lifecycle(snap: CaseSnapshot) -> Lifecycle:
    """The way a case goes with this case's place on it, and where it can go from here."""
    seen = {rec.dest for rec in snap.history}

    def stage(state: CaseState) -> Stage:
        tone = "current" if state is snap.state else "passed" if state in seen else ""
        return Stage(STATE_LABELS[state], tone)

    steps: dict[tuple[str, str], NextStep] = {}
    for arrow in arrows_from(snap.state):
        if arrow.dest is snap.state or arrow.dest is CaseState.aborted:
            continue  # a fact recorded in place, or an admin's repair of a stuck step
        auto = arrow.rule.trigger in AUTOMATIC or arrow.rule.roles == (Role.engine,)
        who = "自動" if auto else "・".join(ROLE_LABELS[r] for r in arrow.rule.roles)
        dest = STATE_LABELS[arrow.dest]
        key = (arrow.rule.trigger.value, dest)
        steps.setdefault(key, NextStep(TRIGGER_LABELS[arrow.rule.trigger], dest, who))
    return Lifecycle(
        stages=[stage(s) for s in stages()],
        ends=[stage(s) for s in ends()],
        next_steps=list(steps.values()),
        current=STATE_LABELS[snap.state],
    )


@dataclass(frozen=True)
class EvidenceLine:
    on: str
    by: str
    text: str  # the reference typed, or the uploaded file's name
    href: str | None  # the download link of an uploaded file
    note: str


@dataclass(frozen=True)
class ConditionLine:
    number: int
    text: str
    due: str
    status: str
    awaiting: bool  # open for evidence
    evidence: list[EvidenceLine]
    verdict: str


def conditions(snap: CaseSnapshot, style: DateStyle) -> list[ConditionLine]:
    lines = []
    for c in snap.conditions:
        evidence = []
        for e in c.evidence:
            file = parse_ref(e.file_ref)
            evidence.append(
                EvidenceLine(
                    on=format_date(e.on, style),
                    by=e.by,
                    text=file.name if file else e.file_ref,
                    href=f"/cases/{snap.case_id}/evidence/{file.sha256}" if file else None,
                    note=e.note or "",
                )
            )
        due = DUE_RULE_LABELS[c.condition.due]
        lines.append(
            ConditionLine(
                number=c.number,
                text=c.condition.text,
                due=f"{due} {format_date(c.due_on, style)}" if c.due_on else due,
                status=CONDITION_LABELS[c.status],
                awaiting=c.status in AWAITING_EVIDENCE,
                evidence=evidence,
                verdict=c.verdict or "",
            )
        )
    return lines


@dataclass(frozen=True)
class DocumentLine:
    label: str
    format: str
    version: str
    size: str
    made: str
    href: str


def documents(case_id: str, docs: list[DocumentInfo], style: DateStyle) -> list[DocumentLine]:
    """The case's generated files, newest first, each a download link (never a path)."""
    ordered = sorted(docs, key=lambda d: (d.generated_at, d.doc_type, d.format), reverse=True)
    return [
        DocumentLine(
            label=DOC_LABELS[d.doc_type],
            format=d.format.value.upper(),
            version=d.data_version,
            size=f"{max(1, round(d.size / 1024))} KB",
            made=format_date(d.generated_at.astimezone(JST).date(), style),
            href=f"/cases/{case_id}/documents/{d.id}",
        )
        for d in ordered
    ]
