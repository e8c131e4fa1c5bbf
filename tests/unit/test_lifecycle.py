"""The lifecycle table (models/case/lifecycle.py) drives behaviour: every rule is fired from every
one of its source states against a real CaseRecord, through the same pure checks the workflow
runs (``check_act`` for a person's act, ``engine_act`` for the engine's own, ``check_abort``
and ``check_supersede``) and ``apply_act``, and lands in its destination; every pair that must
be refused (a trigger not from that state, a wrong role, an engine-only trigger asked for
through the update) is refused with its typed error. A guard failure where the table allows
the act fails the test: each (rule, source) gets a record whose guards pass."""

from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Any

import pytest
from pydantic import BaseModel

from models.calendar.jcalendar import build_closure_table
from models.case.acts import apply_act
from models.case.checks import CheckedAct, check_abort, check_act, check_supersede, engine_act
from models.case.document import Category
from models.case.guards import GuardContext
from models.case.lifecycle import (
    AUTOMATIC,
    PAYLOADS,
    REPAIRS,
    RULES,
    TERMINAL,
    CaseMachine,
    Rule,
    allowed_actions,
    is_engine_only,
    roles_for,
    rules_for,
    triggers_from,
)
from models.case.payloads import Condition, NoPayload, Reason, SessionRef, Votes
from models.case.record import (
    AdminInput,
    CaseConfig,
    CaseRecord,
    ChangeCaseInfo,
    Decision,
    ParkedStep,
)
from models.case.states import PERSON_ROLES, CaseState, Role, Trigger
from models.case.triage import DEFAULT_TRIAGE_TABLE
from models.errors import (
    CaseError,
    CaseNotFound,
    EngineOnly,
    GuardFailed,
    InvalidPayload,
    InvalidTransition,
    NoParkedStep,
    RoleNotAllowed,
)
from models.labels import STATE_LABELS
from models.projection import SupersedeInput
from models.tracking.conditions import ConditionStatus, TrackedObligation, track
from models.tracking.obligations import Obligation, next_due
from tests.factories import act, actor, creation, document

S, T = CaseState, Trigger

CONFIG = CaseConfig(triage=DEFAULT_TRIAGE_TABLE, closures=build_closure_table(2015, 2035))
TODAY = dt.date(2025, 6, 2)  # a Monday
LAST_ON = dt.date(2025, 5, 1)
AT = dt.datetime(2025, 5, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
CASE_ID = "c0ffee000001"
CHANGE_CASE = "c0ffee000002"
COUNCIL = "個人情報保護審議会"

SESSION = SessionRef(session_id="2025-3", council=COUNCIL, held_on=TODAY)
NEXT = SessionRef(session_id="2025-4", council=COUNCIL, held_on=dt.date(2025, 7, 7))
LATER = {"session_id": "2025-5", "council": COUNCIL, "held_on": "2025-08-04"}
ADMIN = AdminInput(actor=actor(Role.admin, "運用管理者"), reason="誤登録")
PARKED = ParkedStep(
    step="project_transition", seq=3, error="database is locked", attempts=5, since=AT
)

CONDITION = Condition(
    text="契約に再委託禁止を定める",
    type="contract_clause",
    due="before_contract",
    owner="保健センター",
)
CERTIFICATE = {"vendor": "株式会社サンプル", "number": "10800001(08)", "issued_on": "2024-12-01"}
OBLIGATIONS = [
    Obligation.model_validate({"id": "training", "kind": "staff_training", "anchor": "2025-04-01"}),
    Obligation.model_validate(
        {
            "id": "pmark",
            "kind": "certificate",
            "anchor": "2025-04-01",
            "certificate": {**CERTIFICATE, "scheme": "privacy_mark", "expires_on": "2026-11-30"},
        }
    ),
    Obligation.model_validate(
        {
            "id": "isms",
            "kind": "certificate",
            "anchor": "2025-04-01",
            "certificate": {**CERTIFICATE, "scheme": "isms", "expires_on": "2027-11-30"},
        }
    ),
]

# A valid payload for every trigger a person asks for through ``act``.
PAYLOAD: dict[Trigger, dict[str, Any]] = {
    T.amend: {"document": document().model_dump(mode="json")},
    T.submit: {},
    T.require_consultation: {"reason": "オンライン結合のため"},
    T.waive_consultation: {"reason": "法第129条の特に必要な場合に当たらない"},
    T.return_to_department: {"comments": ["別紙の記録項目を補正すること"]},
    T.pass_precheck: {"items": [{"check_id": "C1", "result": "conforming"}]},
    T.schedule: {"session": NEXT.model_dump(mode="json")},
    T.send_materials: {},
    T.open_deliberation: {"seats": 10, "present": 7},
    T.decide: {"outcome": "approve", "votes": {"yes": 6, "no": 1}},
    T.continue_deliberation: {"reason": "資料の追加提出を求める", "next_session": LATER},
    T.reschedule: {"reason": "定足数に達しなかった", "next_session": LATER},
    T.unschedule: {"reason": "担当課の資料差替えのため次回以降に付議する"},
    T.note_report: {},
    T.convert_to_consultation: {"reason": "審議が必要"},
    T.issue_answer: {"number": "第870号"},
    T.conditions_fulfilled: {"verified": [{"condition": 1, "evidence": "契約書第12条"}]},
    T.resolve_attention: {"evidence": "再発防止策の報告"},
    T.close: {"end_duties": ["データ消去証明書を受領"]},
    T.withdraw: {"reason": "事業中止"},
    T.submit_evidence: {"condition": 1, "file_ref": "契約書第12条"},
    T.verify_condition: {"condition": 1},
    T.reject_evidence: {"condition": 1, "reason": "条項が不足"},
    T.waive_condition: {"condition": 1, "reason": "契約方式の変更で不要"},
    T.add_obligation: {
        "obligation": {"id": "audit", "kind": "staff_training", "anchor": "2025-06-01"}
    },
    T.fulfil_obligation: {"obligation": "training", "file_ref": "研修実施記録"},
    T.renew_certificate: {
        "obligation": "pmark",
        "certificate": {**CERTIFICATE, "scheme": "privacy_mark", "expires_on": "2028-11-30"},
    },
    T.report_material_change: {"reason": "外部連携先の追加"},
    T.confirm_unchanged: {"statement": "システム構成・取扱事務に重要な変更なし"},
    T.certificate_lapsed: {
        "vendor": "株式会社サンプル",
        "scheme": "isms",
        "reason": "認証一時停止",
    },
}
ENGINE_PAYLOAD: dict[Trigger, BaseModel] = {
    T.apply_outcome: NoPayload(),
    T.activate: NoPayload(),
    T.open_review: NoPayload(),
    T.flag_attention: Reason(reason="期限超過・失効: 条件1"),
}

_TRACKING = (S.conditions_pending, S.active, S.attention, S.review)
_DECIDED = (S.answer_drafting, S.answered, *_TRACKING)


def _decision(outcome: str) -> Decision:
    conditional = outcome == "approve_with_conditions"
    votes = Votes(yes=2, no=5) if outcome == "reject" else Votes(yes=6, no=1)
    return Decision(
        outcome=outcome,
        votes=votes,
        conditions=[CONDITION] if conditional else [],
        decided_on=LAST_ON,
    )


def record(state: CaseState, **overrides: Any) -> CaseRecord:
    """A case in ``state`` with the facts a case in that state has: a session, attendance,
    a decision, its tracked condition and obligations (none overdue), a re-review date."""
    doc = document()
    data: dict[str, Any] = {
        "case_id": CASE_ID,
        "external_ref": None,
        "document": doc,
        "category": Category.consultation,
        "state": state,
        "history": [creation(LAST_ON, AT)],
        "session": NEXT if state in (S.ready, S.scheduled) else SESSION,
        "attendance": (7, 10) if state is S.deliberating else None,
    }
    if state in _DECIDED:
        data["decision"] = _decision("approve_with_conditions")
    if state in _TRACKING:
        data["conditions"] = track([CONDITION], doc, LAST_ON, CONFIG.closures)
        data["obligations"] = [
            TrackedObligation(obligation=ob, current=next_due(ob, CONFIG.closures, after=LAST_ON))
            for ob in OBLIGATIONS
        ]
        data["active_since"] = LAST_ON
        data["next_review_on"] = dt.date(2028, 5, 1)
    data.update(overrides)
    return CaseRecord(**data)


def _condition(status: ConditionStatus) -> dict[str, Any]:
    tracked = track([CONDITION], document(), LAST_ON, CONFIG.closures)
    return {"conditions": [tracked[0].model_copy(update={"status": status})]}


def facts_for(rule: Rule) -> dict[str, Any]:
    """What a case must carry beyond ``record(state)`` for ``rule``'s guards to pass."""
    match rule.trigger, rule.dest:
        case ((T.note_report | T.convert_to_consultation), _):
            return {"category": Category.report}
        case T.apply_outcome, S.active:
            return {"decision": _decision("approve")}
        case T.apply_outcome, S.rejected:
            return {"decision": _decision("reject")}
        case ((T.verify_condition | T.reject_evidence), _):
            return _condition(ConditionStatus.submitted)
        case ((T.activate | T.resolve_attention), S.active):
            return _condition(ConditionStatus.verified)
        case T.open_review, _:
            return {"next_review_on": TODAY}
        case T.abort, _:
            return {"parked": PARKED}
    return {}


def fire(rule: Rule, source: CaseState, role: Role | None = None) -> CaseRecord:
    """Check and fire ``rule`` from ``source`` as the workflow does; the case afterwards."""
    case = record(source, **facts_for(rule))
    machine = CaseMachine(source)
    checked: CheckedAct | None
    if rule.trigger is T.supersede:
        inp = SupersedeInput(parent_case=CASE_ID, change_case=CHANGE_CASE, on=TODAY)
        change = ChangeCaseInfo(
            case_id=CHANGE_CASE, found=True, state=S.active, answered=True, parent_case=CASE_ID
        )
        checked = check_supersede(case, CONFIG, machine, inp, TODAY, change)
    elif is_engine_only(rule.trigger):
        payload = ENGINE_PAYLOAD[rule.trigger]
        checked = engine_act(case, CONFIG, machine, rule.trigger, payload, TODAY)
        assert checked is not None, f"the engine could not fire {rule.trigger} from {source}"
    elif rule.trigger is T.abort:
        checked = check_abort(case, CONFIG, machine, ADMIN, TODAY)
    else:
        assert role is not None
        inp_act = act(rule.trigger.value, role, PAYLOAD[rule.trigger], on=TODAY)
        checked = check_act(case, CONFIG, machine, inp_act, TODAY)
    dest = machine.fire(checked.trigger, case, checked.payload, checked.ctx)
    record_ = apply_act(case, checked, dest, AT)
    assert (record_.trigger, record_.source, record_.dest) == (rule.trigger, source, rule.dest)
    return case


# ---------------------------------------------------------------- every allowed pair fires


ALLOWED = [(rule, source) for rule in RULES for source in rule.sources]


def _pair_id(pair: tuple[Rule, CaseState]) -> str:
    rule, source = pair
    return f"{source}-{rule.trigger}->{rule.dest}"


@pytest.mark.parametrize("pair", ALLOWED, ids=[_pair_id(p) for p in ALLOWED])
def test_every_rule_fires_from_each_source_into_its_destination(
    pair: tuple[Rule, CaseState],
) -> None:
    rule, source = pair
    for role in rule.roles if rule.trigger not in REPAIRS else (Role.admin,):
        case = fire(rule, source, role)
        assert case.state is rule.dest
        assert case.history[-1].actor.role is role
        assert case.seq == 1 and case.last_on == TODAY


def test_the_matrix_covers_every_trigger_and_every_open_state() -> None:
    assert {rule.trigger for rule, _ in ALLOWED} == set(Trigger)
    assert {source for _, source in ALLOWED} == set(CaseState) - TERMINAL


# ---------------------------------------------------------------- every other pair is refused


REFUSED = [(s, t) for s in CaseState for t in Trigger if not rules_for(t, s)]


@pytest.mark.parametrize("pair", REFUSED, ids=[f"{s}-{t}" for s, t in REFUSED])
def test_a_trigger_not_from_the_state_is_refused(pair: tuple[CaseState, Trigger]) -> None:
    state, trigger = pair
    case = record(state, parked=PARKED) if trigger is T.abort else record(state)
    machine = CaseMachine(state)
    if trigger is T.abort:
        with pytest.raises(InvalidTransition) as exc:
            check_abort(case, CONFIG, machine, ADMIN, TODAY)
        assert f"abort is not allowed from {state} ({STATE_LABELS[state]})" in exc.value.message
        return
    if trigger is T.supersede:
        inp = SupersedeInput(parent_case=CASE_ID, change_case=CHANGE_CASE, on=TODAY)
        with pytest.raises(InvalidTransition):
            check_supersede(case, CONFIG, machine, inp, TODAY)
        return
    if is_engine_only(trigger):
        payload = ENGINE_PAYLOAD[trigger]
        assert engine_act(case, CONFIG, machine, trigger, payload, TODAY) is None
        return
    with pytest.raises(InvalidTransition) as exc:
        check_act(
            case, CONFIG, machine, act(trigger, roles_for(trigger)[0], PAYLOAD[trigger]), TODAY
        )
    message = exc.value.message
    assert f"{trigger} is not allowed from {state} ({STATE_LABELS[state]})" in message
    assert message.endswith(f"allowed: {', '.join(triggers_from(state)) or 'nothing (terminal)'}")


PERSON_PAIRS = [
    (rule, source)
    for rule, source in ALLOWED
    if not is_engine_only(rule.trigger) and rule.trigger not in REPAIRS
]


@pytest.mark.parametrize("pair", PERSON_PAIRS, ids=[_pair_id(p) for p in PERSON_PAIRS])
def test_a_wrong_role_is_refused_where_the_right_one_succeeds(
    pair: tuple[Rule, CaseState],
) -> None:
    rule, source = pair
    wrong = [r for r in Role if r not in rule.roles]
    assert Role.engine in wrong
    for role in wrong:
        case = record(source, **facts_for(rule))
        inp = act(rule.trigger.value, role, PAYLOAD[rule.trigger], on=TODAY)
        with pytest.raises(RoleNotAllowed) as exc:
            check_act(case, CONFIG, CaseMachine(source), inp, TODAY)
        assert type(exc.value) is RoleNotAllowed
        assert exc.value.message == (
            f"{rule.trigger} is done by {' or '.join(rule.roles)}, not {role}"
        )


ENGINE_PAIRS = [(rule, source) for rule, source in ALLOWED if is_engine_only(rule.trigger)]


@pytest.mark.parametrize("pair", ENGINE_PAIRS, ids=[_pair_id(p) for p in ENGINE_PAIRS])
def test_an_engine_only_trigger_is_refused_through_the_update_for_anyone(
    pair: tuple[Rule, CaseState],
) -> None:
    rule, source = pair
    payload = {"change_case": CHANGE_CASE} if rule.trigger is T.supersede else {}
    for role in Role:  # the engine's own role too: the update is always someone outside
        case = record(source, **facts_for(rule))
        with pytest.raises(EngineOnly) as exc:
            check_act(case, CONFIG, CaseMachine(source), act(rule.trigger, role, payload), TODAY)
        assert exc.value.error_type.value == "EngineOnly"
        assert (
            exc.value.message == f"{rule.trigger} is fired by the engine itself, never on request"
        )


@pytest.mark.parametrize("state", sorted(set(CaseState) - TERMINAL))
def test_abort_is_refused_through_the_update_and_for_a_non_admin(state: CaseState) -> None:
    rule = next(r for r in RULES if r.trigger is T.abort)
    for role in Role:
        case = record(state, parked=PARKED)
        with pytest.raises(InvalidTransition) as exc:
            check_act(case, CONFIG, CaseMachine(state), act("abort", role, {"reason": "x"}), TODAY)
        assert exc.value.message.startswith("abort is not an act")
    for role in set(Role) - {Role.admin}:
        inp = AdminInput(actor=actor(role), reason="誤登録")
        with pytest.raises(RoleNotAllowed):
            check_abort(record(state, parked=PARKED), CONFIG, CaseMachine(state), inp, TODAY)
    with pytest.raises(NoParkedStep):
        check_abort(record(state), CONFIG, CaseMachine(state), ADMIN, TODAY)
    # the Machine itself refuses an abort with nothing parked (guard step_parked)
    ctx = GuardContext(config=CONFIG, on=TODAY)
    assert not CaseMachine(state).can(T.abort, record(state), Reason(reason="x"), ctx)
    assert rule.guards


# ---------------------------------------------------------------- supersession by a change case


def _supersede(change: ChangeCaseInfo, **inp: Any) -> CheckedAct:
    data = {"parent_case": CASE_ID, "change_case": CHANGE_CASE, "on": TODAY, **inp}
    return check_supersede(
        record(S.active), CONFIG, CaseMachine(S.active), SupersedeInput(**data), TODAY, change
    )


GOOD_CHANGE = ChangeCaseInfo(
    case_id=CHANGE_CASE, found=True, state=S.active, answered=True, parent_case=CASE_ID
)


def test_a_made_up_change_case_is_refused() -> None:
    with pytest.raises(CaseNotFound):
        _supersede(ChangeCaseInfo(case_id=CHANGE_CASE, found=False))


def test_a_change_case_of_another_case_is_refused() -> None:
    with pytest.raises(GuardFailed, match="changes c0ffee0000ff, not c0ffee000001"):
        _supersede(GOOD_CHANGE.model_copy(update={"parent_case": "c0ffee0000ff"}))


def test_an_unanswered_change_case_is_refused() -> None:
    pending = GOOD_CHANGE.model_copy(update={"answered": False, "state": S.deliberating})
    with pytest.raises(GuardFailed, match="is not answered with an approval"):
        _supersede(pending)


def test_a_supersession_meant_for_another_parent_or_by_itself_is_refused() -> None:
    with pytest.raises(InvalidPayload, match="parent_case"):
        _supersede(GOOD_CHANGE, parent_case="c0ffee0000ff")
    with pytest.raises(InvalidPayload, match="change_case"):
        _supersede(GOOD_CHANGE, change_case=CASE_ID)


def test_an_answered_change_case_supersedes_as_the_engine() -> None:
    checked = _supersede(GOOD_CHANGE)
    assert checked.actor.role is Role.engine and checked.trigger is T.supersede


# ---------------------------------------------------------------- allowed actions


def _passes_topology_and_role(state: CaseState, trigger: Trigger, role: Role) -> bool:
    """Whether check_act lets ``role`` ask for ``trigger`` in ``state`` (the guards aside)."""
    rules = rules_for(trigger, state)
    case = record(state, **(facts_for(rules[0]) if rules else {}))
    payload = PAYLOAD.get(trigger, {})
    try:
        check_act(case, CONFIG, CaseMachine(state), act(trigger, role, payload, on=TODAY), TODAY)
    except (InvalidTransition, RoleNotAllowed):
        return False
    except CaseError as err:
        raise AssertionError(f"{state} {trigger} {role}: {err.message}") from err
    return True


@pytest.mark.parametrize("state", list(CaseState))
@pytest.mark.parametrize("role", PERSON_ROLES)
def test_allowed_actions_are_exactly_what_the_role_may_ask_for(
    state: CaseState, role: Role
) -> None:
    listed = [a.trigger for a in allowed_actions(state, role)]
    assert len(listed) == len(set(listed))
    assert set(listed) == {t for t in Trigger if _passes_topology_and_role(state, t, role)}
    for action in allowed_actions(state, role):
        assert role in action.roles
        assert action.dest == [r.dest for r in rules_for(action.trigger, state)]


@pytest.mark.parametrize("state", list(CaseState))
def test_a_parked_case_allows_only_the_admins_abort(state: CaseState) -> None:
    allowed = [a.trigger for a in allowed_actions(state, parked=True)]
    assert allowed == ([] if state in TERMINAL else [T.abort])
    assert [a.trigger for a in allowed_actions(state, Role.department, parked=True)] == []
    assert all(not is_engine_only(a.trigger) for a in allowed_actions(state))


# ---------------------------------------------------------------- the table as a whole


def test_the_payloads_are_valid() -> None:
    for trigger, payload in PAYLOAD.items():
        PAYLOADS[trigger].model_validate(payload)
    for trigger, model in ENGINE_PAYLOAD.items():
        assert isinstance(model, PAYLOADS[trigger])


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
    assert seen == set(CaseState)


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


def test_automatic_triggers_are_engine_only_and_engine_only_ones_are_the_engines() -> None:
    assert all(is_engine_only(t) for t in AUTOMATIC)
    engine_only = {t for t in Trigger if is_engine_only(t)}
    assert engine_only == {
        T.apply_outcome,
        T.activate,
        T.open_review,
        T.flag_attention,
        T.supersede,
    }
    assert not any(Role.engine in r.roles for r in RULES if r.trigger not in engine_only)


def test_machine_has_no_auto_transitions() -> None:
    machine = CaseMachine(S.active)
    assert machine.machine.auto_transitions is False
    assert not hasattr(machine, "to_draft")
    assert not hasattr(machine, "to_aborted")
    assert machine.state == "active"


# ---------------------------------------------------------------- check_act refusals, in order


def check(state: CaseState, trigger: str, role: Role | str, **kw: Any) -> CheckedAct:
    payload = kw.pop("payload", {t.value: p for t, p in PAYLOAD.items()}.get(trigger, {}))
    case = record(state)
    return check_act(case, CONFIG, CaseMachine(state), act(trigger, role, payload, **kw), TODAY)


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
    case = record(S.draft, parked=PARKED)
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


def test_engine_only_is_refused_before_the_state_is_looked_at() -> None:
    with pytest.raises(EngineOnly):
        check(S.closed, "supersede", Role.engine, payload={"change_case": CHANGE_CASE})


def test_the_handler_replays_an_old_engine_act_it_no_longer_accepts() -> None:
    case = record(S.active)
    inp = act("supersede", Role.engine, {"change_case": CHANGE_CASE}, on=TODAY)
    checked = check_act(case, CONFIG, CaseMachine(S.active), inp, TODAY, allow_engine_only=True)
    assert checked.trigger is T.supersede
