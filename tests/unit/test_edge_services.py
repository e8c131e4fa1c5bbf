"""The edge's services without a server: engine-only triggers never reach Temporal, a
person's trigger does; session acts name the role a person's client acts as."""

from __future__ import annotations

from typing import Any, cast

import pytest
from temporalio.client import Client

from edge.cases import CaseService
from edge.loaders import load_municipality
from edge.sessions import SESSION_ACTS, acting_role, request_model, roles_for
from models.case.lifecycle import RULES, is_engine_only
from models.case.record import ActInput, Actor
from models.case.states import Role, Trigger
from models.errors import EngineOnly
from models.ids import case_id_of, case_workflow_id, session_workflow_id
from settings import Settings
from tests.conftest import ROOT

TOWN = load_municipality(ROOT / "config" / "municipality.yaml")


class _Handle:
    def __init__(self, calls: list[tuple[str, Any]], workflow_id: str) -> None:
        self.calls, self.workflow_id = calls, workflow_id

    async def execute_update(self, update: Any, arg: Any, **_: Any) -> str:
        self.calls.append((self.workflow_id, arg))
        return "accepted"


class _Client:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def get_workflow_handle(self, workflow_id: str) -> _Handle:
        return _Handle(self.calls, workflow_id)


def _service() -> tuple[CaseService, _Client]:
    client = _Client()
    return CaseService(cast(Client, client), Settings(), TOWN), client


@pytest.mark.parametrize("trigger", [t for t in Trigger if is_engine_only(t)])
@pytest.mark.parametrize("role", list(Role))
async def test_engine_only_triggers_never_reach_the_engine(trigger: Trigger, role: Role) -> None:
    cases, client = _service()
    with pytest.raises(EngineOnly):
        await cases.act("3f9a0c1d2e4b", ActInput(trigger=trigger, actor=Actor(role=role, name="x")))
    assert client.calls == []


@pytest.mark.parametrize("trigger", [t for t in Trigger if not is_engine_only(t)])
async def test_every_other_trigger_goes_to_the_case_workflow(trigger: Trigger) -> None:
    cases, client = _service()
    role = next(r for rule in RULES if rule.trigger == trigger for r in rule.roles)
    request = ActInput(trigger=trigger, actor=Actor(role=role, name="x"))
    assert await cases.act("3f9a0c1d2e4b", request) == "accepted"
    assert client.calls == [(case_workflow_id("3f9a0c1d2e4b"), request)]


def test_engine_only_means_only_the_engine_in_the_table() -> None:
    for trigger in Trigger:
        roles = {r for rule in RULES if rule.trigger == trigger for r in rule.roles}
        assert is_engine_only(trigger) == (roles == {Role.engine}), trigger


@pytest.mark.parametrize("act", list(SESSION_ACTS))
def test_every_session_act_has_roles_and_a_request_model(act: str) -> None:
    assert acting_role(act) is roles_for(act)[0]
    assert Role.engine not in roles_for(act)
    assert "actor" in request_model(act).model_fields


def test_a_case_id_is_read_back_from_its_workflow_id_only() -> None:
    assert case_id_of(case_workflow_id("3f9a0c1d2e4b")) == "3f9a0c1d2e4b"
    assert case_id_of(session_workflow_id("2018-3")) is None
