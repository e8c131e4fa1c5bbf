"""What the workflow hands to the read-model projection and to the parent-link activity."""

from __future__ import annotations

import datetime as dt

from models.case import TransitionRecord
from models.document import CaseKind, Category, Strict
from models.states import CaseState


class CaseSummary(Strict):
    """One row of the case list: no personal data, only what a list needs."""

    case_id: str
    external_ref: str | None
    title: str
    kind: CaseKind
    category: Category
    department: str
    state: CaseState
    fiscal_year: int
    seq: int
    next_deadline: dt.date | None
    next_deadline_what: str | None
    parent_case: str | None


class ProjectTransitionInput(Strict):
    summary: CaseSummary
    transition: TransitionRecord


class SupersedeInput(Strict):
    parent_case: str
    change_case: str
    on: dt.date


class SupersedeResult(Strict):
    superseded: bool
    reason: str | None = None
