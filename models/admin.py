"""What the admin console and `starter.py admin …` show and are asked: parked steps of cases
and sessions, workflows whose tasks fail, a case's reset plan, and a reconcile report."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field

from models.case.document import Strict
from models.errors import InvalidPayload

REASON_MAX = 500


class Subject(StrEnum):
    case = "case"
    session = "session"


class AdminVerb(StrEnum):
    retry = "retry"
    skip = "skip"
    abort = "abort"
    batch_retry = "batch_retry"
    reset = "reset"
    reconcile = "reconcile"


class ParkedEntry(Strict):
    """One step waiting for an admin: a case's parked step, or a session's failed document."""

    subject: Subject
    subject_id: str
    workflow_id: str
    state: str
    step: str  # project_transition, generate_document, kaigiroku …
    seq: int | None  # the case transition whose step failed (sessions: none)
    error: str
    attempts: int | None
    since: dt.datetime
    actions: list[AdminVerb]  # what an admin can do here

    @property
    def cause(self) -> str:
        return cause_of(self.step, self.error)


_VARIABLE = re.compile(r"[0-9a-f]{12,}|\d+")


def cause_of(step: str, error: str) -> str:
    """The group a failure belongs to: its step and its error with ids and numbers blanked,
    so the same fault on many cases is one group."""
    head = error.splitlines()[0] if error else ""
    return f"{step}: {_VARIABLE.sub('…', head)[:120]}"


class CauseGroup(Strict):
    cause: str
    entries: list[ParkedEntry]


class FailingWorkflow(Strict):
    """A workflow whose workflow task keeps failing (it cannot make progress at all)."""

    workflow_id: str
    run_id: str
    workflow_type: str
    attempt: int
    cause: str  # WorkflowTaskFailedCause, e.g. WORKFLOW_WORKER_UNHANDLED_FAILURE
    error: str
    failed_at: dt.datetime | None
    ui_url: str


class ResetPoint(Strict):
    """A point of the case's current run it can be reset to: just before an act."""

    seq: int  # the last transition kept
    trigger: str  # the act undone first
    event_id: int  # the act's UpdateAccepted event
    reset_event_id: int  # the WorkflowTaskCompleted that accepted it: the reset goes there


class TransitionLine(Strict):
    """An act as a reset shows it: a case's transition, or a session's act (``seq``: the
    session's version after it)."""

    seq: int
    trigger: str | None  # a case's trigger, a session's act (None: created)
    source: str | None
    dest: str | None  # None: a session act from before sessions logged their states
    on: dt.date | None


class ResetPlan(Strict):
    """What a reset of a case (or session) to just after act ``seq`` keeps and undoes (the
    dry run)."""

    subject: Subject = Subject.case
    subject_id: str
    workflow_id: str
    run_id: str
    seq: int
    reset_event_id: int
    state_now: str
    state_after: str | None
    replayed: list[TransitionLine]  # kept: replayed from history up to the reset point
    undone: list[TransitionLine]  # gone from the engine and, by reconcile, the read model
    events_dropped: int  # history events after the reset point
    read_model_rows_to_delete: int  # transition rows the reconcile after the reset removes
    notes: list[str] = Field(default_factory=list)


class ResetDone(Strict):
    plan: ResetPlan
    new_run_id: str
    case_repaired: int  # read-model rows the case (or session) rewrote once it met the reset
    reconcile: ReconcileReport  # the check after it (nothing left to repair, normally)

    @property
    def rows_repaired(self) -> int:
        return self.case_repaired + self.reconcile.changed


class ReconcileReport(Strict):
    """What a reconcile found and repaired, by kind (counts), and the ids it touched.
    Counted up while the reconcile runs, so not frozen."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    cases_checked: int = 0
    sessions_checked: int = 0
    missing: int = 0  # rows written because the workflow had none
    stale: int = 0  # rows rewritten from the workflow's snapshot
    orphaned: int = 0  # rows removed: their workflow was deleted
    retained: int = 0  # rows of ended cases and sessions whose history Temporal let go: kept
    unreadable: int = 0  # workflows that could not be queried (failing tasks): left alone
    repaired: list[str] = Field(default_factory=list)  # "case abc…: stale" …

    @property
    def changed(self) -> int:
        return self.missing + self.stale + self.orphaned

    def repairs(self, kind: Literal["missing", "stale", "orphaned"], what: str) -> None:
        """Count one repair of ``kind`` and name it ("case abc…: stale")."""
        setattr(self, kind, getattr(self, kind) + 1)
        self.repaired.append(f"{what}: {kind}")

    def add(self, other: ReconcileReport) -> None:
        for name in (
            "cases_checked",
            "sessions_checked",
            "missing",
            "stale",
            "orphaned",
            "retained",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.unreadable += other.unreadable
        self.repaired.extend(other.repaired)


class RepairResult(Strict):
    """Where a case or session stands after an admin's retry, skip or abort."""

    target: str  # case:<id> / session:<id>
    verb: AdminVerb
    state: str
    still_failing: str | None  # the error when the step parked (or the documents failed) again

    @property
    def line(self) -> str:
        again = f"; failed again: {self.still_failing}" if self.still_failing else ""
        return f"{self.verb} {self.target}: {self.state}{again}"


class BatchPreview(Strict):
    """What a batch retry would touch, before it runs."""

    cases: list[str]
    sessions: list[str]
    not_parked: list[str]

    @property
    def touches(self) -> int:
        return len(self.cases) + len(self.sessions)


class BatchResult(Strict):
    retried: list[str]
    still_parked: list[str]
    refused: list[str]  # "id: error"


def reason_given(reason: str | None) -> str:
    """The reason an admin gives, trimmed; refused when empty or too long (InvalidPayload
    naming the field)."""
    text = (reason or "").strip()
    if not text:
        raise InvalidPayload("reason: required (why this admin action is taken)")
    if len(text) > REASON_MAX:
        raise InvalidPayload(f"reason: at most {REASON_MAX} characters, got {len(text)}")
    return text


def group_by_cause(entries: list[ParkedEntry]) -> list[CauseGroup]:
    """Parked entries grouped by cause, the biggest group first."""
    groups: dict[str, list[ParkedEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.cause, []).append(entry)
    return [
        CauseGroup(cause=cause, entries=found)
        for cause, found in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
