"""A municipality's own settings: name, date style, lead times, triage rules, closures, and
the mail directory (who is reminded of what, per department)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, StringConstraints

from models.calendar.jcalendar import DateStyle, FiscalEraRule
from models.case.document import Strict
from models.case.triage import DEFAULT_TRIAGE_TABLE, KindRule
from models.documents.spec import DocumentSettings, DocumentStyle, document_style
from models.errors import InvalidPayload, UnknownDepartment
from models.policy import CasePolicy
from models.tracking.ladder import Audience

Email = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+$")]


class DepartmentContacts(Strict):
    staff: list[Email] = Field(min_length=1)  # 担当者: reminders before a deadline
    head: list[Email] = Field(default_factory=list)  # 所属長: escalations after it


class MailDirectory(Strict):
    """Departments (as named in 諮問書 ``department``) → mail addresses; the secretariat."""

    departments: dict[str, DepartmentContacts] = Field(default_factory=dict)
    secretariat: list[Email] = Field(default_factory=list)
    mail_link_base: str = "http://127.0.0.1:8233/namespaces/default/workflows"


class MunicipalityConfig(MailDirectory):
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


def department_contacts(directory: MailDirectory, department: str) -> DepartmentContacts:
    """The department's contacts; ``UnknownDepartment`` when the directory has no such name."""
    contacts = directory.departments.get(department)
    if contacts is None:
        raise UnknownDepartment(
            f"unknown department {department!r}: not in the municipality directory (departments:)"
        )
    return contacts


def responsible_department(directory: MailDirectory, department: str, owner: str | None) -> str:
    """Who answers for an item: its owner where the owner is a department of the directory
    (a condition the answer gives to 情報政策課, say), else the case's department (an owner such
    as 委託事業者 is reached through the department that contracted it)."""
    return owner if owner is not None and owner in directory.departments else department


def recipients(directory: MailDirectory, department: str, audience: Audience) -> list[str]:
    """Who gets a reminder: the staff (owner), or the head and the secretariat (escalation).
    In directory order, without duplicates."""
    contacts = department_contacts(directory, department)
    if audience is Audience.owner:
        found = list(contacts.staff)
    else:
        found = [*contacts.head, *directory.secretariat]
    if not found:
        raise InvalidPayload(f"{department!r}: nobody to send an {audience} reminder to")
    return list(dict.fromkeys(found))
