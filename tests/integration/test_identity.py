"""Who acts is proven: the workflow's validators refuse an act on another department's case,
a role the account does not hold and an actor no account stands behind — through the edge,
bypassing the desk, and straight at the workflow — and nothing changes. The CLI acts as a
registered account (token, or name and password) and can no longer claim a role or a name."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
import yaml
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from edge.councils import CouncilService
from edge.identity import actor_for, proven
from models.accounts import UserRole, UserView
from models.case.lifecycle import roles_for
from models.case.record import ActInput, Actor
from models.case.states import CaseState, Role, Trigger
from models.errors import OtherDepartment, RoleNotAllowed
from models.ids import case_workflow_id
from tests.conftest import ROOT
from tests.factories import document
from tests.integration.accounts import PASSWORD, account_token
from tests.integration.conftest import System
from tests.integration.test_cli import cli
from tests.integration.test_sessions import council, plan
from workflows.case import CaseWorkflow


def _user(username: str, roles: list[UserRole], department: str | None = None) -> UserView:
    return UserView(
        username=username,
        display_name=f"{username} 太郎",
        roles=roles,
        department=department,
        disabled=False,
        locked=False,
    )


HOKEN = _user("hoken", [UserRole.department_head], "保健センター")  # the case's department
NOZEI = _user("nozei", [UserRole.department_member], "納税課")
JIMU = _user("jimu", [UserRole.secretariat])


def _act(trigger: Trigger, user: UserView, role: Role | None = None, **payload: str) -> ActInput:
    return ActInput(
        trigger=trigger, actor=actor_for(user, roles_for(trigger), role), payload=payload
    )


async def _unchanged(system: System, case_id: str, state: CaseState, seq: int) -> None:
    snap = await system.gateway.snapshot(case_id)
    assert (snap.state, snap.history[-1].seq, len(snap.history)) == (state, seq, seq + 1)
    assert system.sql("select state, seq from cases where case_id = :c", c=case_id) == [
        (state.value, seq)
    ]


async def test_another_departments_account_is_refused_by_the_validator(system: System) -> None:
    gateway = system.gateway
    with pytest.raises(OtherDepartment, match=r"a case of 保健センター .* not 納税課"):
        await gateway.create_case(document=document(), actor=proven(NOZEI, Role.department))
    snap = await gateway.create_case(document=document(), actor=proven(HOKEN, Role.department))

    with pytest.raises(OtherDepartment, match=r"actor.department: a case of 保健センター"):
        await gateway.act(snap.case_id, _act(Trigger.submit, NOZEI))
    await _unchanged(system, snap.case_id, CaseState.draft, 0)

    done = await gateway.act(snap.case_id, _act(Trigger.submit, HOKEN))
    assert done.state is CaseState.triage
    by = (await gateway.snapshot(snap.case_id)).history[-1].actor
    assert (by.username, by.name, by.department, by.head) == (
        "hoken",
        "hoken 太郎(hoken)",
        "保健センター",
        True,
    )


async def test_a_role_the_account_does_not_hold_is_refused(system: System) -> None:
    gateway = system.gateway
    snap = await gateway.create_case(document=document(), actor=proven(HOKEN, Role.department))
    await gateway.act(snap.case_id, _act(Trigger.submit, HOKEN))

    claim = _act(Trigger.require_consultation, HOKEN, Role.secretariat, reason="特に必要")
    with pytest.raises(RoleNotAllowed, match=r"actor.role: the account does not hold secretariat"):
        await gateway.act(snap.case_id, claim)
    with pytest.raises(RoleNotAllowed, match=r"withdraw is done by department, not secretariat"):
        await gateway.act(snap.case_id, _act(Trigger.withdraw, JIMU, reason="取りやめ"))
    await _unchanged(system, snap.case_id, CaseState.triage, 1)

    # an actor built by hand, sent straight to the workflow: no account stands behind it
    handle = system.client.get_workflow_handle(case_workflow_id(snap.case_id))
    forged = ActInput(
        trigger="require_consultation",
        actor=Actor(role=Role.secretariat, name="事務局"),
        payload={"reason": "特に必要"},
    )
    with pytest.raises(RoleNotAllowed, match=r"actor: not a signed-in account"):
        await gateway.act(snap.case_id, forged)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(CaseWorkflow.act, forged)
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "RoleNotAllowed"
    assert "not a signed-in account" in cause.message
    await _unchanged(system, snap.case_id, CaseState.triage, 1)

    ok = _act(Trigger.require_consultation, JIMU, reason="特に必要")
    assert (await gateway.act(snap.case_id, ok)).state is CaseState.precheck


async def test_a_session_act_needs_the_role_held(system: System) -> None:
    councils = CouncilService(system.client, system.settings, system.gateway.municipality)
    council_id = f"c{uuid.uuid4().hex[:8]}"
    await councils.register(council(council_id))
    the_plan = plan(council_id, 1, dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    with pytest.raises(RoleNotAllowed, match=r"actor.role: the account does not hold secretariat"):
        await councils.plan(proven(HOKEN, Role.secretariat), the_plan)
    with pytest.raises(RoleNotAllowed, match=r"actor: not a signed-in account"):
        await councils.plan(Actor(role=Role.secretariat, name="事務局"), the_plan)
    assert (await councils.council(council_id)).sessions == []
    planned = await councils.plan_as_person(the_plan, JIMU)
    assert planned.state == "planned"


DOC = {
    "kind": "external_linkage",
    "title": "CLI本人確認テスト",
    "department": "保健センター",
    "affair": {"name": "住民記録", "purpose": "事務の効率化"},
    "record_items": ["氏名"],
    "counterparty": "国",
    "reason": "法令に基づく",
    "linkage_form": "専用回線",
    "planned_start": {"year": 2031, "month": 5, "jun": "middle"},
    "operational_measures": [{"text": "研修を行う", "criterion": "f"}],
    "system_measures": [{"text": "暗号化", "criterion": "c"}],
}


async def test_the_cli_acts_as_a_registered_account(system: System, tmp_path: Path) -> None:
    account_token(system.settings, "hoken", [UserRole.department_head], "保健センター")
    nozei = account_token(system.settings, "nozei", [UserRole.department_member], "納税課")
    doc = tmp_path / "doc.yaml"
    doc.write_text(yaml.safe_dump(DOC, allow_unicode=True), encoding="utf-8")
    nobody = {"TOSHIN_TOKEN": ""}
    hoken = {**nobody, "TOSHIN_USER": "hoken", "TOSHIN_PASSWORD": PASSWORD}

    code, _, err = await cli(system, "case", "create", str(doc), env_extra=nobody)
    assert code == 1 and err.startswith("error: LoginRefused: TOSHIN_USER: the CLI acts as"), err
    wrong = {**hoken, "TOSHIN_PASSWORD": "not the password"}
    code, _, err = await cli(system, "case", "create", str(doc), env_extra=wrong)
    assert code == 1 and err.startswith("error: LoginRefused: "), err
    assert system.sql("select count(*) from cases") == [(0,)]

    code, out, err = await cli(system, "case", "create", str(doc), "--json", env_extra=hoken)
    assert code == 0, err
    case_id = json.loads(out)["case_id"]

    code, _, err = await cli(
        system, "case", "act", case_id, "submit", env_extra={"TOSHIN_TOKEN": nozei}
    )
    assert code == 1 and err.startswith("error: OtherDepartment: actor.department"), err
    code, _, err = await cli(system, "case", "act", case_id, "submit", "--actor", "山田")
    assert code == 1 and err.startswith("error: InvalidPayload") and "--actor" in err, err
    code, out, err = await cli(system, "case", "act", case_id, "submit", "--json", env_extra=hoken)
    assert code == 0 and json.loads(out)["state"] == "triage", err
    code, _, err = await cli(
        system, "case", "act", case_id, "require_consultation", "--as", "secretariat",
        "--set", "reason=特に必要", env_extra=hoken,
    )  # fmt: skip
    assert code == 1 and "RoleNotAllowed: actor.role: the account does not hold secretariat" in err

    scenario = str(ROOT / "scenarios" / "s02_fujisawa_870.yaml")
    code, _, err = await cli(system, "scenario", "run", scenario, "--unique", env_extra=hoken)
    assert code == 1 and "RoleNotAllowed: actor.role: the account does not hold admin" in err
    assert system.sql("select count(*) from cases") == [(1,)]  # the scenario created nothing

    snap = await system.gateway.snapshot(case_id)
    assert snap.state is CaseState.triage
    assert [(r.actor.username, r.actor.name) for r in snap.history] == [
        ("hoken", "hoken 太郎(hoken)")
    ] * 2


async def test_a_personal_token_works_until_it_is_revoked(system: System) -> None:
    account_token(system.settings, "hoken", [UserRole.department_head], "保健センター")
    code, out, err = await cli(system, "user", "token", "hoken", "--label", "連携システム")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("tsn_") and token not in err
    mine = {"TOSHIN_TOKEN": token}

    code, out, _ = await cli(system, "user", "tokens", "hoken", "--json")
    listed = {t["label"]: t for t in json.loads(out)}
    assert token not in out and listed["連携システム"]["revoked"] is False
    token_id = listed["連携システム"]["token_id"]
    code, _, err = await cli(system, "admin", "retry", "0000deadbeef", env_extra=mine)
    # signed in, but not an admin: refused before anything reaches the engine
    assert code == 1 and "RoleNotAllowed: actor.role: the account does not hold admin" in err

    code, _, err = await cli(system, "user", "revoke-token", "hoken", token_id)
    assert code == 0, err
    code, _, err = await cli(system, "admin", "retry", "0000deadbeef", env_extra=mine)
    assert code == 1 and err.startswith("error: LoginRefused: token: unknown, revoked"), err
