"""What the API takes and answers, beside the engine's own views (``CaseSnapshot``,
``ActResult``, ``SessionSnapshot``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.case.states import CaseState, Role, Trigger
from models.limits import CalendarDate


class ApiErrorBody(BaseModel):
    type: str = Field(
        description="the error, e.g. InvalidPayload, OtherDepartment, Forbidden, CsrfRefused"
    )
    message: str = Field(description="what went wrong, naming the field when there is one")
    field: str | None = Field(description="the field concerned, e.g. payload.reason")


class ApiError(BaseModel):
    error: ApiErrorBody


class CaseSummary(BaseModel):
    """A case as the read model lists it."""

    model_config = ConfigDict(from_attributes=True)

    case_id: str
    external_ref: str | None
    title: str
    kind: str
    category: str
    department: str
    state: str
    fiscal_year: int
    seq: int
    next_deadline: dt.date | None
    next_deadline_what: str | None
    updated_at: dt.datetime


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int
    page: int
    per_page: int


class AllowedAct(BaseModel):
    trigger: Trigger
    role: Role = Field(description="the caller's role the act is done in")
    dest: list[CaseState]


class ActRequest(BaseModel):
    """A person's act on a case; the actor is the caller, never a field."""

    model_config = ConfigDict(extra="forbid")

    trigger: str = Field(min_length=1, max_length=40, examples=["submit"])
    payload: dict[str, Any] = Field(default_factory=dict)
    on: CalendarDate | None = Field(
        default=None, description="business date (default today, JST), 1868-01-25 .. 2099-12-31"
    )
    role: Role | None = Field(
        default=None, description="which of the caller's roles to act in (default: one it takes)"
    )


class SessionSummary(BaseModel):
    """A session as the read model lists it."""

    model_config = ConfigDict(from_attributes=True)

    session_id: str
    council_id: str
    fiscal_year: int
    ordinal: int
    held_on: dt.date
    starts_at: dt.datetime
    state: str
    minutes: str | None
    minutes_due: dt.date | None
    item_count: int
    warning_count: int
