"""Every side effect of the engine. ``build_activities`` lists them for the worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from temporalio.client import Client

from activities.agenda import AgendaActivities
from activities.archive import ArchiveActivities
from activities.deadlines import DeadlineActivities
from activities.documents import DocumentActivities
from activities.links import CaseLinkActivities, SessionLinkActivities
from activities.mail import MailActivities, SmtpConfig
from activities.notices import NoticeActivities
from activities.projection import ProjectionActivities
from activities.reminders import ReminderActivities
from edge.codec import Keyring
from models.calendar.jcalendar import DateStyle
from models.documents.spec import DocumentSettings, DocumentStyle, document_style
from models.municipality import MailDirectory
from persistence.people import PeopleBook, SealingKeyring
from persistence.seal import Sealer
from settings import Settings

__all__ = ["ActivityDeps", "SmtpConfig", "build_activities"]


@dataclass(frozen=True)
class ActivityDeps:
    engine: Engine
    client: Client
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    directory: MailDirectory = field(default_factory=MailDirectory)  # who gets reminders
    date_style: DateStyle = DateStyle.wareki
    documents_dir: Path = field(default_factory=lambda: Settings().documents_path)
    templates_dir: Path = field(default_factory=lambda: Settings().templates_dir)
    style: DocumentStyle = field(
        default_factory=lambda: document_style("toshin", DocumentSettings())
    )  # the worker passes the municipality's (municipality file)
    sealer: Sealer | None = None  # the audit key: transition rows carry a MAC (edge/audit.py)
    people: PeopleBook | None = None  # names sealed in ``people``, rows carry refs
    file_keyring: SealingKeyring | None = None  # encrypt_documents: files sealed at rest
    # the payload keyring: an ended case's archived record is sealed with it (edge/archive.py)
    keyring: Keyring | None = None


def build_activities(deps: ActivityDeps) -> list[Callable[..., Any]]:
    projection = ProjectionActivities(deps.engine, deps.sealer, deps.people)
    links = CaseLinkActivities(deps.client)
    sessions = SessionLinkActivities(deps.client)
    reminders = ReminderActivities(deps.engine)
    agenda = AgendaActivities(deps.engine)
    archive = ArchiveActivities(deps.engine, deps.keyring)
    mail = MailActivities(deps.engine, deps.smtp)
    deadlines = DeadlineActivities(deps.engine)
    notices = NoticeActivities(mail, deps.directory, deps.date_style)
    documents = DocumentActivities(
        deps.engine,
        deps.client,
        documents_dir=deps.documents_dir,
        templates_dir=deps.templates_dir,
        style=deps.style,
        keyring=deps.file_keyring,
    )
    return [
        agenda.ready_cases,
        projection.project_transition,
        projection.repair_after_reset,
        projection.repair_session_after_reset,
        projection.project_council,
        projection.project_session,
        links.supersede_case,
        links.describe_change_case,
        sessions.act_on_case,
        sessions.carry_into_session,
        sessions.describe_session,
        sessions.take_answer_number,
        sessions.describe_case,
        reminders.remind_secretariat,
        mail.send_reminder,
        deadlines.project_deadlines,
        notices.send_due_notice,
        documents.generate_document,
        documents.load_document_source,
        archive.archive_case,
    ]
