"""The scenario file format: cases, then steps of trigger + actor + payload with the expected
state or the expected error type. Documented in docs/scenarios.md."""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

from pydantic import Field, model_validator

from models.case import Actor
from models.document import Strict
from models.errors import ErrorType
from models.states import CaseState, Role


class ScenarioCase(Strict):
    external_ref: str | None = None
    created_by: Actor
    created_on: dt.date | None = None
    document: dict[str, Any] | None = None  # inline 諮問書 fields
    document_file: str | None = None  # or a YAML/JSON file, relative to the scenario

    @model_validator(mode="after")
    def _one_document(self) -> Self:
        if (self.document is None) == (self.document_file is None):
            raise ValueError("give either document or document_file")
        return self


class ScenarioStep(Strict):
    case: str | None = None  # alias from `cases`; may be omitted when there is one case
    trigger: str
    as_: Role = Field(alias="as")
    actor: str | None = None
    on: dt.date | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    expect: CaseState | None = None
    expect_error: ErrorType | None = None
    expect_warning: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_expectation(self) -> Self:
        if (self.expect is None) == (self.expect_error is None):
            raise ValueError("give either expect (a state) or expect_error (an error type)")
        return self


class Scenario(Strict):
    name: str = Field(min_length=1)
    description: str | None = None
    source: str | None = None  # the seed or DOMAIN.md section it comes from
    cases: dict[str, ScenarioCase] = Field(min_length=1)
    steps: list[ScenarioStep] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_aliases(self) -> Self:
        for n, step in enumerate(self.steps, start=1):
            if step.case is None and len(self.cases) > 1:
                raise ValueError(f"steps.{n}: name the case (several cases are declared)")
            if step.case is not None and step.case not in self.cases:
                raise ValueError(f"steps.{n}.case: unknown case alias {step.case!r}")
        return self
