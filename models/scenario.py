"""The scenario file format: cases (and optionally councils and their sessions), then steps —
a case trigger or a session act, with the expected states or the expected error type.
Documented in docs/scenarios.md."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Self

from pydantic import Field, StringConstraints, field_validator, model_validator

from models.calendar.wareki import Jun
from models.case.document import Strict
from models.case.record import Actor
from models.case.states import CaseState, Role
from models.errors import ErrorType
from models.policy import CasePolicy
from models.session.council import ClosedReason, Council, Openness, SessionPlan
from models.session.record import ItemStatus, MinutesState, SessionState

JST = dt.timezone(dt.timedelta(hours=9))

# "@today", "@today+14", "@today-8": a date relative to the day of the run (JST)
TODAY_TOKEN = re.compile(r"^@today(?:([+-])(\d{1,5}))?$")
RunDateToken = Annotated[str, StringConstraints(pattern=TODAY_TOKEN.pattern)]
RESERVED_ALIASES = {"today"}


def run_date(value: dt.date | str, today: dt.date) -> dt.date:
    """A date as written in a scenario: a plain date, or "@today±N" relative to the run."""
    if isinstance(value, dt.date):
        return value
    match = TODAY_TOKEN.match(value)
    if match is None:
        raise ValueError(f"not a date or @today±N: {value!r}")
    sign, days = match.groups()
    offset = int(days or 0) * (-1 if sign == "-" else 1)
    return today + dt.timedelta(days=offset)


class RunRelativeStart(Strict):
    """The document's 開始時期 relative to the run: an exact day (`in_days`, negative for a day
    in the past, which makes the consultation 事後諮問) or a 旬 of a month (`in_months` +
    `jun`), keeping the 上旬/中旬/下旬 precision of the seeds."""

    in_days: int | None = None
    in_months: int | None = Field(default=None, ge=0, le=1200)
    jun: Jun | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if (self.in_days is None) == (self.in_months is None):
            raise ValueError("give either in_days or in_months (with jun)")
        if (self.in_months is None) != (self.jun is None):
            raise ValueError("in_months needs jun (early/middle/late), and jun needs in_months")
        return self

    def resolve(self, today: dt.date) -> dict[str, Any]:
        """The PlannedStart fields for a run on ``today``."""
        if self.in_days is not None:
            day = today + dt.timedelta(days=self.in_days)
            return {"year": day.year, "month": day.month, "day": day.day}
        assert self.in_months is not None and self.jun is not None
        months = today.year * 12 + today.month - 1 + self.in_months
        return {"year": months // 12, "month": months % 12 + 1, "jun": self.jun.value}


class ScenarioCase(Strict):
    external_ref: str | None = None
    created_by: Actor
    created_on: dt.date | RunDateToken | None = None
    document: dict[str, Any] | None = None  # inline 諮問書 fields
    document_file: str | None = None  # or a YAML/JSON file, relative to the scenario
    planned_start: RunRelativeStart | None = None  # sets the document's planned_start

    @model_validator(mode="after")
    def _one_document(self) -> Self:
        if (self.document is None) == (self.document_file is None):
            raise ValueError("give either document or document_file")
        if self.planned_start is not None and self.document and "planned_start" in self.document:
            raise ValueError("planned_start is given twice (here and in the document)")
        return self


class ScenarioSession(Strict):
    """A session of a declared council, planned relative to the run: sessions cannot be
    planned before today and acts cannot be dated in the future, so a session whose acts the
    steps perform is held today (`starts_in_minutes`); a later one (`starts_in_days`) can be
    the next session of a continuation or a carry-over."""

    council: str  # alias from `councils`
    ordinal: int = Field(ge=1)  # 第N回 within the fiscal year
    starts_in_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    starts_in_days: int | None = Field(default=None, ge=1, le=3650)
    duration_minutes: int = Field(default=120, ge=1, le=24 * 60)
    place: str = Field(min_length=1)
    openness: Openness = Openness.open
    closed_reason: ClosedReason | None = None
    closed_reason_text: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_start(self) -> Self:
        if (self.starts_in_minutes is None) == (self.starts_in_days is None):
            raise ValueError("give either starts_in_minutes (held today) or starts_in_days")
        if self.openness is not Openness.open and self.closed_reason is None:
            raise ValueError("closed_reason is required for a closed or partly closed session")
        return self

    @property
    def held_today(self) -> bool:
        return self.starts_in_minutes is not None

    def plan(self, council_id: str, base: dt.datetime) -> SessionPlan:
        """The plan for a run whose clock reads ``base`` (a whole minute, JST)."""
        if self.starts_in_minutes is not None:
            starts = base + dt.timedelta(minutes=self.starts_in_minutes)
        else:
            starts = base + dt.timedelta(days=self.starts_in_days or 0)
        return SessionPlan(
            council_id=council_id,
            ordinal=self.ordinal,
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=self.duration_minutes),
            place=self.place,
            openness=self.openness,
            closed_reason=self.closed_reason,
            closed_reason_text=self.closed_reason_text,
        )


class ScenarioStep(Strict):
    """Either a case step (`trigger`, on `case`) or a session step (`act`, on `session`)."""

    case: str | None = None  # alias from `cases`; may be omitted when there is one case
    trigger: str | None = None
    session: str | None = None  # alias from `sessions`
    act: str | None = None  # a session act (edge.sessions.SESSION_ACTS) or `plan`
    as_: Role = Field(alias="as")
    actor: str | None = None
    on: dt.date | RunDateToken | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    expect: CaseState | None = None
    expect_session: SessionState | None = None
    expect_minutes: MinutesState | None = None
    expect_cases: dict[str, CaseState] = Field(default_factory=dict)
    expect_items: dict[str, ItemStatus] = Field(default_factory=dict)
    expect_answers: dict[str, str] = Field(default_factory=dict)  # case alias → 第N号
    expect_error: ErrorType | None = None
    expect_warning: str | None = None
    note: str | None = None

    @property
    def is_session_step(self) -> bool:
        return self.act is not None

    @property
    def session_expectations(self) -> bool:
        return bool(
            self.expect_session is not None
            or self.expect_minutes is not None
            or self.expect_cases
            or self.expect_items
            or self.expect_answers
        )

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.trigger is None) == (self.act is None):
            raise ValueError("give either trigger (a case step) or act (a session step)")
        if self.act is None:
            if self.session is not None or self.session_expectations:
                raise ValueError(
                    "session, expect_session, expect_minutes, expect_cases, expect_items and "
                    "expect_answers belong to session steps (act)"
                )
            if (self.expect is None) == (self.expect_error is None):
                raise ValueError("give either expect (a state) or expect_error (an error type)")
            return self
        if self.session is None:
            raise ValueError("a session step names its session")
        if self.expect is not None:
            raise ValueError("a session step states expect_session / expect_cases, not expect")
        if self.session_expectations == (self.expect_error is not None):
            raise ValueError(
                "give expect_session / expect_minutes / expect_cases / expect_items / "
                "expect_answers, or expect_error (an error type)"
            )
        if self.act == "plan" and (self.case is not None or self.payload or self.on):
            raise ValueError("act plan takes no case, payload or on (the session says it all)")
        return self


class Scenario(Strict):
    name: str = Field(min_length=1)
    description: str | None = None
    source: str | None = None  # the seed or DOMAIN.md section it comes from
    municipality_policy: dict[str, Any] = Field(default_factory=dict)  # CasePolicy overrides
    councils: dict[str, Council] = Field(default_factory=dict)
    sessions: dict[str, ScenarioSession] = Field(default_factory=dict)
    cases: dict[str, ScenarioCase] = Field(min_length=1)
    steps: list[ScenarioStep] = Field(default_factory=list)

    @field_validator("councils", mode="before")
    @classmethod
    def _council_ids(cls, value: Any) -> Any:
        """`council_id` defaults to the alias."""
        if isinstance(value, dict):
            return {
                alias: {"council_id": alias, **spec} if isinstance(spec, dict) else spec
                for alias, spec in value.items()
            }
        return value

    @field_validator("municipality_policy")
    @classmethod
    def _policy_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        CasePolicy.model_validate(value)  # unknown fields and bad values are errors
        return value

    @model_validator(mode="after")
    def _known_aliases(self) -> Self:
        clash = (set(self.cases) & set(self.sessions)) | (
            (set(self.cases) | set(self.sessions)) & RESERVED_ALIASES
        )
        if clash:
            raise ValueError(f"aliases used twice or reserved: {sorted(clash)}")
        for alias, session in self.sessions.items():
            if session.council not in self.councils:
                raise ValueError(f"sessions.{alias}.council: unknown council {session.council!r}")
        for n, step in enumerate(self.steps, start=1):
            if step.case is None and len(self.cases) > 1 and not step.is_session_step:
                raise ValueError(f"steps.{n}: name the case (several cases are declared)")
            if step.case is not None and step.case not in self.cases:
                raise ValueError(f"steps.{n}.case: unknown case alias {step.case!r}")
            if step.session is not None and step.session not in self.sessions:
                raise ValueError(f"steps.{n}.session: unknown session alias {step.session!r}")
            for field in ("expect_cases", "expect_items", "expect_answers"):
                unknown = [a for a in getattr(step, field) if a not in self.cases]
                if unknown:
                    raise ValueError(f"steps.{n}.{field}: unknown case aliases {unknown}")
        return self

    def planned_by_step(self, alias: str) -> bool:
        """A session named by an `act: plan` step is planned there, not before the steps."""
        return any(s.act == "plan" and s.session == alias for s in self.steps)


def run_clock(now: dt.datetime | None = None) -> dt.datetime:
    """The run's base time: the next whole minute in JST (session starts count from it)."""
    now = (now or dt.datetime.now(JST)).astimezone(JST)
    return now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
