"""A municipality's own settings: name, date style, lead times, triage rules, closures."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from models.document import Strict
from models.documents.spec import DocumentSettings, DocumentStyle, document_style
from models.jcalendar import DateStyle, FiscalEraRule
from models.policy import CasePolicy
from models.triage import DEFAULT_TRIAGE_TABLE, KindRule


class MunicipalityConfig(Strict):
    name: str = Field(min_length=1)
    date_style: DateStyle = DateStyle.wareki
    fiscal_era_rule: FiscalEraRule = FiscalEraRule.year_end
    policy: CasePolicy = Field(default_factory=CasePolicy)
    triage_rules: list[KindRule] = Field(default_factory=lambda: list(DEFAULT_TRIAGE_TABLE.rules))
    local_closures: dict[dt.date, str] = Field(default_factory=dict)
    calendar_years_ahead: int = Field(default=10, ge=1, le=50)
    documents: DocumentSettings = Field(default_factory=DocumentSettings)

    def document_style(self) -> DocumentStyle:
        return document_style(self.name, self.documents, self.date_style, self.fiscal_era_rule)
