"""Council sessions: read them, and send them the secretariat's, chair's and council's acts
by name.

``SESSION_ACTS`` names every act (the SessionWorkflow update it is); ``roles_for`` says who
may do it (the session table's ``models.session.lifecycle.roles_for``), and the CLI acts as
the first of them.
"""

from __future__ import annotations

import datetime as dt
import typing
import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client, WorkflowHandle

import models.session.lifecycle as session_lifecycle
from edge.errors import translated
from edge.identity import actor_for
from edge.loaders import load_mapping, parse
from models.accounts import UserView
from models.case.payloads import SessionRef
from models.case.record import Actor
from models.case.states import Role
from models.errors import GuardFailed, InvalidPayload
from models.ids import session_workflow_id
from models.labels import session_label
from models.municipality import MunicipalityConfig
from models.session.minutes import Minutes, build_minutes
from models.session.record import ItemOutcome, SessionRecord, SessionSnapshot, SessionState
from settings import Settings
from workflows.session import SessionWorkflow

SESSION_ACTS: dict[str, Any] = {
    "add_items": SessionWorkflow.add_items,
    "remove_item": SessionWorkflow.remove_item,
    "send_notice": SessionWorkflow.send_notice,
    "send_materials": SessionWorkflow.send_materials,
    "open_session": SessionWorkflow.open_session,
    "carry_over": SessionWorkflow.carry_over,
    "open_item": SessionWorkflow.open_item,
    "record_qa": SessionWorkflow.record_qa,
    "decide_item": SessionWorkflow.decide_item,
    "issue_answer": SessionWorkflow.issue_answer,
    "close_session": SessionWorkflow.close_session,
    "redact": SessionWorkflow.redact,
    "approve_minutes": SessionWorkflow.approve_minutes,
    "publish_minutes": SessionWorkflow.publish_minutes,
    "replace_closures": SessionWorkflow.replace_closures,
    "retry_documents": SessionWorkflow.retry_documents,
}

# Planning is an act on the council (CouncilWorkflow.plan_session), not a row of the session
# table; every other act's roles are the table's.
PLAN_SESSION_ROLES: tuple[Role, ...] = (Role.secretariat,)

DECIDE_PAYLOAD_KEYS = ("conditions", "opinions", "action_items", "summary")


def roles_for(act: str) -> tuple[Role, ...]:
    """The roles that may do a session act: the session table's (``plan_session``, an act
    on the council, is the secretariat's)."""
    if act == "plan_session":
        return PLAN_SESSION_ROLES
    return session_lifecycle.roles_for(act)


def acting_role(act: str) -> Role:
    """The role a person's client (the CLI, the desk) acts as for a session act."""
    return roles_for(act)[0]


def person(act: str, user: UserView) -> Actor:
    """The actor of the signed-in ``user`` doing ``act``, in a role the act takes."""
    return actor_for(user, roles_for(act))


def request_model(act: str) -> type[BaseModel]:
    """The request model a session act takes (the input of its SessionWorkflow update)."""
    model = typing.get_type_hints(SESSION_ACTS[act])["inp"]
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model


def session_ref(snap: SessionSnapshot) -> SessionRef:
    """A session as the cases record it."""
    return SessionRef(
        session_id=snap.session_id,
        council=snap.council,
        held_on=snap.plan.held_on,
        label=session_label(snap.plan.fiscal_year, snap.plan.ordinal),
    )


def decide_fields(
    payload: Path | None,
    *,
    outcome: ItemOutcome,
    yes: int | None,
    no: int | None,
    abstain: int | None,
    chair_casting: bool,
    next_session: str | None,
) -> dict[str, Any]:
    """The extra fields of a decision: the payload file's (conditions, opinions, action
    items, summary) and the votes; InvalidPayload when they do not fit the outcome."""
    fields: dict[str, Any] = {}
    if payload is not None:
        extra = load_mapping(payload)
        unknown = sorted(set(extra) - set(DECIDE_PAYLOAD_KEYS))
        if unknown:
            raise InvalidPayload(
                f"{payload}: unknown fields {unknown} (allowed: {', '.join(DECIDE_PAYLOAD_KEYS)})"
            )
        fields.update(extra)
    if yes is not None or no is not None or abstain is not None:
        fields["votes"] = {
            "yes": yes or 0,
            "no": no or 0,
            "abstain": abstain or 0,
            "chair_casting": True if chair_casting else None,
        }
    elif chair_casting:
        raise InvalidPayload("--chair-casting needs the votes (--yes/--no/--abstain)")
    if outcome is ItemOutcome.continue_ and next_session is None:
        raise InvalidPayload("continue needs --next NEXT_SESSION_ID and --reason")
    if outcome is not ItemOutcome.continue_ and next_session is not None:
        raise InvalidPayload(f"--next is only for --outcome continue, not {outcome.value}")
    return fields


def not_on_agenda(snap: SessionSnapshot, case_ids: list[str]) -> list[str]:
    """Why each of ``case_ids`` is not on the agenda after add_items (empty: all are)."""
    on_agenda = {i.case_id for i in snap.items}
    why = [w.message for w in snap.warnings if w.code == "not_scheduled"]
    return [
        next((m for m in why if m.startswith(f"{c}:")), c) for c in case_ids if c not in on_agenda
    ]


class SessionService:
    """Read sessions and send them acts."""

    def __init__(self, client: Client, settings: Settings, municipality: MunicipalityConfig):
        self.client = client
        self.settings = settings
        self.municipality = municipality

    def handle(self, session_id: str) -> WorkflowHandle[Any, Any]:
        return self.client.get_workflow_handle(session_workflow_id(session_id))

    async def session(self, session_id: str) -> SessionSnapshot:
        with translated(f"session {session_id}"):
            return await self.handle(session_id).query(SessionWorkflow.snapshot)

    async def record(self, session_id: str) -> SessionRecord:
        with translated(f"session {session_id}"):
            return await self.handle(session_id).query(SessionWorkflow.record)

    async def minutes(self, session_id: str, *, public: bool) -> Minutes:
        """The session's minutes in the municipality's date style (public: redacted)."""
        return build_minutes(
            await self.record(session_id),
            style=self.municipality.date_style,
            fiscal_rule=self.municipality.fiscal_era_rule,
            public=public,
        )

    async def act(self, session_id: str, name: str, request: BaseModel) -> SessionSnapshot:
        """Send one act (``SESSION_ACTS``) with its request to a session."""
        if name not in SESSION_ACTS:
            raise InvalidPayload(f"unknown session act {name!r} ({', '.join(SESSION_ACTS)})")
        update: Any = SESSION_ACTS[name]
        with translated(f"session {session_id}"):
            await self.handle(session_id).execute_update(update, request, id=uuid.uuid4().hex)
        return await self.session(session_id)

    async def act_as_person(
        self,
        session_id: str,
        name: str,
        fields: dict[str, Any],
        *,
        user: UserView,
        on: dt.date | None = None,
        next_session: str | None = None,
    ) -> SessionSnapshot:
        """A signed-in person's act by name, in a role the act takes; the request is
        validated strictly, and ``next_session`` (an id) is looked up as a SessionRef."""
        data: dict[str, Any] = {
            "actor": person(name, user),
            "on": on,
            **fields,
        }
        if next_session is not None:
            data["next_session"] = await self.next_ref(session_id, next_session)
        return await self.act(session_id, name, parse(request_model(name), data, name))

    async def next_ref(self, session_id: str, next_id: str) -> SessionRef:
        """The next session as the cases record it, looked up in the engine."""
        this = await self.session(session_id)
        nxt = await self.session(next_id)
        if nxt.plan.council_id != this.plan.council_id:
            raise InvalidPayload(
                f"--next: session {next_id} belongs to council {nxt.plan.council_id}, "
                f"not {this.plan.council_id}"
            )
        if nxt.state not in (SessionState.planned, SessionState.notice_sent):
            raise GuardFailed(
                f"--next: session {next_id} is {nxt.state}; items can be carried only into a "
                "session that is planned or notice_sent"
            )
        return session_ref(nxt)
