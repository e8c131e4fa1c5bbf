"""The lifecycle table (models/lifecycle.py) as a whole: topology, roles, payloads, and the
order in which ``check_act`` refuses an act."""

from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Any

import pytest
from pydantic import BaseModel

from models.acts import check_act
from models.case import CaseConfig, CaseRecord, Decision, ParkedStep
from models.document import Category
from models.errors import (
    ConditionClosed,
    GuardFailed,
    InvalidPayload,
    InvalidTransition,
    RoleNotAllowed,
    UnknownCondition,
    UnknownObligation,
)
from models.jcalendar import build_closure_table
from models.labels import STATE_LABELS
from models.lifecycle import (
    AUTOMATIC,
    PAYLOADS,
    RULES,
    TERMINAL,
    CaseMachine,
    Rule,
    roles_for,
    rules_for,
    triggers_from,
)
from models.payloads import Condition, SessionRef, Votes
from models.states import CaseState, Role, Trigger
from models.triage import DEFAULT_TRIAGE_TABLE
from tests.factories import act, creation, document

S, T = CaseState, Trigger

CONFIG = CaseConfig(triage=DEFAULT_TRIAGE_TABLE, closures=build_closure_table(2015, 2035))
TODAY = dt.date(2025, 6, 2)  # a Monday
LAST_ON = dt.date(2025, 5, 1)
AT = dt.datetime(2025, 5, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))

SESSION = SessionRef(session_id="2025-3", council="個人情報保護審議会", held_on=TODAY)
NEXT_SESSION = {"session_id": "2025-4", "council": "個人情報保護審議会", "held_on": "2025-07-07"}

# A valid payload for every trigger: the matrix is about topology, not about payload errors.
PAYLOAD: dict[Trigger, dict[str, Any]] = {
    T.amend: {"document": document().model_dump(mode="json")},
    T.submit: {},
    T.require_consultation: {"reason": "オンライン結合のため"},
    T.waive_consultation: {"reason": "法第129条の特に必要な場合に当たらない"},
    T.return_to_department: {"comments": ["別紙の記録項目を補正すること"]},
    T.pass_precheck: {"items": [{"check_id": "C1", "result": "conforming"}]},
    T.schedule: {"session": NEXT_SESSION},
    T.send_materials: {},
    T.open_deliberation: {"seats": 10, "present": 7},
    T.decide: {"outcome": "approve", "votes": {"yes": 6, "no": 1}},
    T.continue_deliberation: {"reason": "資料の追加提出を求める", "next_session": NEXT_SESSION},
    T.reschedule: {"reason": "定足数に達しなかった", "next_session": NEXT_SESSION},
    T.note_report: {},
    T.convert_to_consultation: {"reason": "審議が必要"},
    T.issue_answer: {"number": "第870号"},
    T.apply_outcome: {},
    T.conditions_fulfilled: {"verified": [{"condition": 1, "evidence": "契約書第12条"}]},
    T.flag_attention: {"reason": "事故報告"},
    T.resolve_attention: {"evidence": "再発防止策の報告"},
    T.supersede: {"change_case": "0123456789ab"},
    T.close: {"end_duties": ["データ消去証明書を受領"]},
    T.withdraw: {"reason": "事業中止"},
    T.activate: {},
    T.submit_evidence: {"condition": 1, "file_ref": "契約書第12条"},
    T.verify_condition: {"condition": 1},
    T.reject_evidence: {"condition": 1, "reason": "条項が不足"},
    T.waive_condition: {"condition": 1, "reason": "契約方式の変更で不要"},
    T.add_obligation: {
        "obligation": {"id": "training", "kind": "staff_training", "anchor": "2025-04-01"}
    },
    T.fulfil_obligation: {"obligation": "training", "file_ref": "研修実施記録"},
    T.renew_certificate: {
        "obligation": "pmark",
        "certificate": {
            "scheme": "privacy_mark",
            "vendor": "株式会社サンプル",
            "number": "10800001(08)",
            "issued_on": "2025-12-01",
            "expires_on": "2027-11-30",
        },
    },
    T.report_material_change: {"reason": "外部連携先の追加"},
    T.open_review: {},
    T.confirm_unchanged: {"statement": "システム構成・取扱事務に重要な変更なし"},
    T.certificate_lapsed: {
        "vendor": "株式会社サンプル",
        "scheme": "isms",
        "reason": "認証一時停止",
    },
}


def record(state: CaseState, **overrides: Any) -> CaseRecord:
    """A case in ``state`` carrying every fact any guard reads (session, attendance, decision)."""
    created = creation(LAST_ON, AT)
    data: dict[str, Any] = {
        "case_id": "c0ffee000001",
        "external_ref": None,
        "document": document(),
        "category": Category.consultation,
        "state": state,
        "history": [created],
        "session": SESSION,
        "attendance": (7, 10),
        "decision": Decision(
            outcome="approve_with_conditions",
            votes=Votes(yes=6, no=1),
            conditions=[
                Condition(
                    text="契約に再委託禁止を定める",
                    type="contract_clause",
                    due="before_contract",
                    owner="保健センター",
                ),
            ],
            decided_on=LAST_ON,
        ),
    }
    data.update(overrides)
    return CaseRecord(**data)


def check(state: CaseState, trigger: str, role: Role | str, **kw: Any) -> Any:
    case = record(state)
    payload = kw.pop("payload", PAYLOAD.get(trigger, {}))
    return check_act(case, CONFIG, CaseMachine(state), act(trigger, role, payload, **kw), TODAY)


# ---------------------------------------------------------------- the state × trigger matrix


def test_the_matrix_payloads_are_valid() -> None:
    for trigger, payload in PAYLOAD.items():
        PAYLOADS[trigger].model_validate(payload)


@pytest.mark.parametrize("trigger", list(Trigger))
@pytest.mark.parametrize("state", list(CaseState))
def test_state_trigger_matrix(state: CaseState, trigger: Trigger) -> None:
    rules = rules_for(trigger, state)
    case = record(state)
    machine = CaseMachine(state)
    inp = act(trigger.value, roles_for(trigger)[0], PAYLOAD[trigger], on=TODAY)
    if not rules:
        with pytest.raises(InvalidTransition) as exc:
            check_act(case, CONFIG, machine, inp, TODAY)
        message = exc.value.message
        assert f"{trigger} is not allowed from {state} ({STATE_LABELS[state]})" in message
        allowed = ", ".join(triggers_from(state)) or "nothing (terminal)"
        assert message.endswith(f"allowed: {allowed}")
        return
    try:
        checked = check_act(case, CONFIG, machine, inp, TODAY)
    except GuardFailed as err:  # a business rule said no: the topology allowed it
        assert err.message.startswith(f"{trigger}: ")
        return
    except (UnknownCondition, ConditionClosed, UnknownObligation) as err:  # typed refusals
        assert err.message.startswith("payload.")
        return
    dest = machine.fire(checked.trigger, case, checked.payload, checked.ctx)
    assert dest in {r.dest for r in rules}


def test_every_trigger_has_a_strict_payload_model() -> None:
    assert set(PAYLOADS) == set(Trigger)
    for trigger, model in PAYLOADS.items():
        assert issubclass(model, BaseModel), trigger
        assert model.model_config.get("extra") == "forbid", trigger


@pytest.mark.parametrize("state", list(CaseState))
def test_terminal_states_have_no_way_out_and_others_do(state: CaseState) -> None:
    outgoing = [r for r in RULES if state in r.sources]
    if state in TERMINAL:
        assert outgoing == []
    else:
        assert outgoing, f"{state} is not terminal but no rule leaves it"


def test_every_state_is_reachable_from_draft() -> None:
    seen = {S.draft}
    todo = deque([S.draft])
    while todo:
        state = todo.popleft()
        for rule in RULES:
            if state in rule.sources and rule.dest not in seen:
                seen.add(rule.dest)
                todo.append(rule.dest)
    # aborted is entered only by an admin aborting a parked step (CaseWorkflow._abort).
    assert seen == set(CaseState) - {S.aborted}
    assert S.aborted in TERMINAL
    assert all(r.dest is not S.aborted for r in RULES)


def test_rules_of_one_trigger_share_their_roles() -> None:
    # check_act checks the role against the first matching rule only.
    for trigger in Trigger:
        assert len({r.roles for r in RULES if r.trigger is trigger}) == 1, trigger


def test_alternative_rules_from_one_state_are_all_guarded() -> None:
    for trigger in Trigger:
        for state in CaseState:
            rules = rules_for(trigger, state)
            if len(rules) > 1:
                assert all(r.guards for r in rules), (trigger, state)


def test_automatic_triggers_are_done_by_the_engine_only() -> None:
    for trigger in AUTOMATIC:
        assert roles_for(trigger) == (Role.engine,)


def test_machine_has_no_auto_transitions() -> None:
    machine = CaseMachine(S.active)
    assert machine.machine.auto_transitions is False
    assert not hasattr(machine, "to_draft")
    assert not hasattr(machine, "to_aborted")
    assert machine.state == "active"


# ---------------------------------------------------------------- check_act refusals


def _rule_id(rule: Rule) -> str:
    return f"{rule.trigger}->{rule.dest}"


@pytest.mark.parametrize("rule", RULES, ids=_rule_id)
def test_wrong_role_is_refused(rule: Rule) -> None:
    wrong = [r for r in Role if r not in rule.roles]
    assert wrong
    for role in wrong:
        with pytest.raises(RoleNotAllowed) as exc:
            check(rule.sources[0], rule.trigger.value, role)
        assert f"not {role}" in exc.value.message
        for allowed in rule.roles:
            assert allowed.value in exc.value.message


def test_unknown_trigger_is_an_invalid_payload_naming_trigger() -> None:
    with pytest.raises(InvalidPayload) as exc:
        check(S.draft, "approve_everything", "department", payload={})
    assert exc.value.message.startswith("trigger: unknown trigger 'approve_everything'")
    assert "submit" in exc.value.message


def test_act_dated_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidPayload) as exc:
        check(S.draft, "withdraw", "department", on=TODAY + dt.timedelta(days=1))
    assert exc.value.message.startswith("on: 2025-06-03 is in the future")


def test_act_dated_before_the_last_act_is_refused() -> None:
    with pytest.raises(InvalidPayload) as exc:
        check(S.draft, "withdraw", "department", on=LAST_ON - dt.timedelta(days=1))
    assert exc.value.message.startswith("on: 2025-04-30 is before the previous act of 2025-05-01")


def test_act_on_the_day_of_the_last_act_is_accepted() -> None:
    checked = check(S.draft, "withdraw", "department", on=LAST_ON)
    assert checked.ctx.on == LAST_ON


def test_act_without_date_is_dated_today() -> None:
    checked = check(S.draft, "withdraw", "department")
    assert checked.ctx.on == TODAY


def test_bad_payload_names_the_field() -> None:
    with pytest.raises(InvalidPayload) as exc:
        check(S.materials_sent, "open_deliberation", "chair", payload={"seats": 0, "present": 7})
    assert exc.value.message.startswith("payload.seats:")


def test_parked_step_blocks_every_act() -> None:
    parked = ParkedStep(
        step="project_transition", seq=3, error="database is locked", attempts=5, since=AT
    )
    case = record(S.draft, parked=parked)
    with pytest.raises(GuardFailed) as exc:
        check_act(
            case,
            CONFIG,
            CaseMachine(S.draft),
            act("withdraw", "department", PAYLOAD[T.withdraw]),
            TODAY,
        )
    assert "project_transition is parked" in exc.value.message
    assert "admin" in exc.value.message
