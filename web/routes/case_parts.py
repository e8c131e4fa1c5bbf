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
    OBLIGATION_LAPSED,
    OBLIGATION_OVERDUE,
    ROLE_LABELS,
    STATE_LABELS,
    TRIGGER_LABELS,
)
from models.tracking.conditions import AWAITING_EVIDENCE, Evidence
from models.tracking.obligations import ObligationKind


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


def evidence_line(case_id: str, e: Evidence, style: DateStyle, what: str = "") -> EvidenceLine:
    """One piece of evidence: an uploaded file as a download link, a typed reference as is."""
    file = parse_ref(e.file_ref)
    extra = [f"立会 {e.witnessed_by}"] if e.witnessed_by else []
    extra += [e.erasure_certificate] if e.erasure_certificate else []
    return EvidenceLine(
        on=" ".join(filter(None, [format_date(e.on, style), what])),
        by=e.by,
        text=file.name if file else e.file_ref,
        href=f"/cases/{case_id}/evidence/{file.sha256}" if file else None,
        note="; ".join(filter(None, [e.note or "", *extra])),
    )


def conditions(snap: CaseSnapshot, style: DateStyle) -> list[ConditionLine]:
    lines = []
    for c in snap.conditions:
        evidence = [evidence_line(snap.case_id, e, style) for e in c.evidence]
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
class ObligationLine:
    id: str
    next: str  # what is due now, or that nothing more is
    window_from: str
    due: str
    status: str
    awaiting: bool  # a file can be its evidence now (a data erasure needs more: its own form)
    done: list[EvidenceLine]


def obligations(snap: CaseSnapshot, style: DateStyle) -> list[ObligationLine]:
    """The recurring duties, what each needs now and how the latest ones were done."""
    lines = []
    for o in snap.obligations:
        cur = o.current
        status = OBLIGATION_LAPSED if o.lapsed else OBLIGATION_OVERDUE if o.overdue else ""
        lines.append(
            ObligationLine(
                id=o.obligation.id,
                next=cur.what if cur else "(これ以上の期限はありません)",
                window_from=format_date(cur.window_from, style) if cur and cur.window_from else "",
                due=format_date(cur.due_on, style) if cur else "",
                status=status,
                awaiting=cur is not None and o.obligation.kind is not ObligationKind.data_erasure,
                done=[
                    evidence_line(snap.case_id, d.evidence, style, d.what) for d in reversed(o.done)
                ],
            )
        )
    return lines


def review(snap: CaseSnapshot, style: DateStyle) -> str:
    """The periodic re-review: the open one with its due date, or when the next one opens."""
    if snap.review:
        due = format_date(snap.review.due_on, style)
        return f"第{snap.review.number}回 定期再審査への回答 (期限 {due})"
    if snap.next_review_on:
        return f"次回の定期再審査 {format_date(snap.next_review_on, style)}"
    return ""


@dataclass(frozen=True)
class UploadTarget:
    value: str  # condition:<number> or obligation:<id>, as the upload form posts it
    label: str


def upload_targets(
    conditions: list[ConditionLine],
    obligations: list[ObligationLine],
    *,
    may_submit_evidence: bool,
    may_fulfil_obligation: bool,
) -> list[UploadTarget]:
    """What a file may be the evidence of now, for this user."""
    targets = []
    if may_submit_evidence:
        targets += [
            UploadTarget(f"condition:{c.number}", f"条件{c.number}: {c.text}")
            for c in conditions
            if c.awaiting
        ]
    if may_fulfil_obligation:
        targets += [
            UploadTarget(f"obligation:{o.id}", f"義務 {o.id}: {o.next}")
            for o in obligations
            if o.awaiting
        ]
    return targets


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
