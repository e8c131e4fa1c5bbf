"""Every side effect of the engine. ``build_activities`` lists them for the worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from temporalio.client import Client

from activities.agenda import AgendaActivities
from activities.links import CaseLinkActivities, SessionLinkActivities
from activities.projection import ProjectionActivities
from activities.reminders import ReminderActivities


@dataclass(frozen=True)
class ActivityDeps:
    engine: Engine
    client: Client


def build_activities(deps: ActivityDeps) -> list[Callable[..., Any]]:
    projection = ProjectionActivities(deps.engine)
    links = CaseLinkActivities(deps.client)
    sessions = SessionLinkActivities(deps.client)
    reminders = ReminderActivities(deps.engine)
    agenda = AgendaActivities(deps.engine)
    return [
        agenda.ready_cases,
        projection.project_transition,
        links.supersede_case,
        sessions.act_on_case,
        sessions.carry_into_session,
        sessions.describe_session,
        sessions.take_answer_number,
        reminders.remind_secretariat,
    ]
