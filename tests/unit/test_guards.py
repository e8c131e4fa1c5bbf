"""Every guard in models/case/guards.py, on its passing and its failing side, with the reason a
person reads when the engine says no."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import models.case.guards as g
from models.calendar.jcalendar import build_closure_table
from models.case.acts import check_act
from models.case.document import Category
from models.case.lifecycle import CaseMachine
from models.case.payloads import (
    CheckItem,
    Condition,
    ConditionsFulfilledPayload,
    ContinuePayload,
    DecidePayload,
    NoPayload,
    OpenDeliberationPayload,
    Outcome,
    PassPrecheckPayload,
    RequireConsultationPayload,
    SchedulePayload,
    SendMaterialsPayload,
    SessionRef,
    Verification,
    Votes,
)
from models.case.record import CaseConfig, CaseRecord, Decision
from models.case.states import CaseState, Trigger
from models.case.triage import DEFAULT_TRIAGE_TABLE
from models.errors import GuardFailed
from tests.factories import act, creation, document

S = CaseState
D = dt.date
CONFIG = CaseConfig(triage=DEFAULT_TRIAGE_TABLE, closures=build_closure_table(2015, 2035))
AT = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
COUNCIL = "個人情報保護審議会"


def session(held_on: dt.date, session_id: str = "s1") -> SessionRef:
    return SessionRef(session_id=session_id, council=COUNCIL, held_on=held_on)


def condition(due: str, due_on: dt.date | None = None) -> Condition:
    return Condition(
        text="契約書に再委託の禁止を定める",
        type="contract_clause",
        due=due,
        due_on=due_on,
        owner="保健センター",
    )


def decision(outcome: str = "approve", **kw: Any) -> Decision:
    return Decision(
        outcome=outcome,
        votes=Votes(yes=6, no=1),
        decided_on=kw.pop("decided_on", D(2025, 5, 7)),
        **kw,
    )


def record(state: CaseState = S.draft, **overrides: Any) -> CaseRecord:
    created = creation(D(2025, 1, 6), AT)
    data: dict[str, Any] = {
        "case_id": "c0ffee000002",
        "external_ref": None,
        "document": document(),
        "category": Category.consultation,
        "state": state,
        "history": [created],
    }
    data.update(overrides)
    return CaseRecord(**data)


def ctx(on: dt.date) -> g.GuardContext:
    return g.GuardContext(config=CONFIG, on=on)


# ---------------------------------------------------------------- submit


def test_complete_document_may_be_submitted() -> None:
    assert g.document_complete(record(), None, ctx(D(2025, 1, 6))) is None


def test_incomplete_document_names_the_missing_fields() -> None:
    case = record(document=document(reason=None, linkage_form=None, system_measures=[]))
    reason = g.document_complete(case, None, ctx(D(2025, 1, 6)))
    assert reason == "the document lacks required fields: reason, linkage_form, system_measures"


def test_submit_of_incomplete_document_is_refused_by_check_act() -> None:
    case = record(document=document(planned_start=None))
    with pytest.raises(GuardFailed) as exc:
        check_act(case, CONFIG, CaseMachine(S.draft), act("submit", "department"), D(2025, 1, 6))
    assert exc.value.message == "submit: the document lacks required fields: planned_start"


# ---------------------------------------------------------------- triage (by planned start)


def _start(year: int, month: int = 6, day: int = 1) -> dict[str, int]:
    return {"year": year, "month": month, "day": day}


@pytest.mark.parametrize(
    ("kind", "start", "category", "require_error", "waive_error"),
    [
        # before the 2023-04-01 reform the ordinance made external linkage a required item
        ("external_linkage", _start(2019), None, None, "is required"),
        ("external_linkage", _start(2019), "report", "requires a consultation (諮問)", "required"),
        # from 2023-04-01 art. 129: optional, both ways are open
        ("external_linkage", _start(2024), None, None, None),
        ("external_linkage", _start(2024), "report", None, None),
        # record items are reported (報告), never consulted and never waived
        ("record_items", _start(2024), None, "set category: report", "is report"),
        ("record_items", _start(2024), "report", None, "is report"),
        ("record_items", _start(2019), "consultation", "set category: report", "is report"),
        # PIA third-party review is required on both sides of the reform
        ("pia_review", _start(2019), None, None, "is required"),
        ("pia_review", _start(2024), None, None, "is required"),
        ("pia_review", _start(2024), "report", "requires a consultation (諮問)", "is required"),
    ],
)
def test_triage_routes_by_the_rule_in_force_at_the_planned_start(
    kind: str,
    start: dict[str, int],
    category: str | None,
    require_error: str | None,
    waive_error: str | None,
) -> None:
    case = record(S.triage, document=document(kind=kind, planned_start=start))
    on = ctx(D(2025, 1, 6))
    required = g.consultation_warranted(
        case, RequireConsultationPayload(reason="特に必要", category=category), on
    )
    waived = g.consultation_waivable(case, None, on)
    if require_error is None:
        assert required is None
    else:
        assert required is not None and require_error in required
        assert f"kind {kind}" in required
    if waive_error is None:
        assert waived is None
    else:
        assert waived is not None and waive_error in waived
        assert "cannot be waived" in waived


@pytest.mark.parametrize(
    ("start", "waivable"),
    [
        ({"year": 2023, "month": 3, "jun": "late"}, False),  # earliest 2023-03-21: ordinance
        ({"year": 2023, "month": 4, "jun": "early"}, True),  # earliest 2023-04-01: art. 129
        (_start(2023, 3, 31), False),
        (_start(2023, 4, 1), True),
    ],
)
def test_triage_boundary_is_the_reform_date(start: dict[str, Any], waivable: bool) -> None:
    case = record(S.triage, document=document(planned_start=start))
    assert (g.consultation_waivable(case, None, ctx(D(2025, 1, 6))) is None) is waivable


def test_triage_without_planned_start_uses_the_act_date() -> None:
    case = record(S.triage, document=document(planned_start=None))
    assert g.consultation_waivable(case, None, ctx(D(2024, 1, 10))) is None
    reason = g.consultation_waivable(case, None, ctx(D(2019, 1, 10)))
    assert reason is not None and "from 2000-01-01 is required" in reason


def test_triage_without_a_rule_in_force_says_so() -> None:
    case = record(S.triage, document=document(planned_start=_start(1999)))
    reason = g.consultation_warranted(case, RequireConsultationPayload(reason="r"), ctx(AT.date()))
    assert reason == "no triage rule for kind external_linkage on 1999-06-01"


# ---------------------------------------------------------------- precheck


def _items(*spec: tuple[str, str, str | None]) -> PassPrecheckPayload:
    return PassPrecheckPayload(items=[CheckItem(check_id=i, result=r, note=n) for i, r, n in spec])


@pytest.mark.parametrize(
    ("items", "error"),
    [
        ([("C1", "conforming", None), ("C2", "not_applicable", None)], None),
        ([("C1", "nonconforming", "代替措置: 入退室記録で補う")], None),
        (
            [("C1", "to_confirm", None), ("C2", "conforming", None), ("C27", "to_confirm", None)],
            "items still to confirm (要確認): C1, C27",
        ),
        (
            [("C3", "nonconforming", None), ("C4", "nonconforming", "   ")],
            "nonconforming items need a justification note: C3, C4",
        ),
    ],
)
def test_precheck(items: list[tuple[str, str, str | None]], error: str | None) -> None:
    assert g.precheck_complete(record(S.precheck), _items(*items), ctx(D(2025, 1, 6))) == error


# -------------------------------------------------------- notice lead time (10 business days)

# Golden Week 2025: 4/29 昭和の日, 5/3–5/6 closed. Ten business days before Wed 5/7 is Fri 4/18.
# New Year 2026: 12/29–1/3 closed. Ten business days before Thu 1/8 is Thu 12/18.


@pytest.mark.parametrize(
    ("held_on", "on", "due"),
    [
        (D(2025, 5, 7), D(2025, 4, 18), None),
        (D(2025, 5, 7), D(2025, 4, 21), D(2025, 4, 18)),  # 16 calendar days still too late
        (D(2026, 1, 8), D(2025, 12, 18), None),
        (D(2026, 1, 8), D(2025, 12, 19), D(2025, 12, 18)),  # 20 calendar days still too late
    ],
)
def test_notice_lead_time_counts_business_days(
    held_on: dt.date, on: dt.date, due: dt.date | None
) -> None:
    reason = g.notice_lead_time(record(S.ready), SchedulePayload(session=session(held_on)), ctx(on))
    if due is None:
        assert reason is None
    else:
        assert reason == (
            "the notice lead time of 10 business days does not hold: the notice was due by "
            f"{due.isoformat()} for the session on {held_on.isoformat()}"
        )


def test_session_in_the_past_cannot_be_scheduled() -> None:
    payload = SchedulePayload(session=session(D(2025, 5, 7)))
    assert g.notice_lead_time(record(S.ready), payload, ctx(D(2025, 5, 8))) == (
        "session.held_on 2025-05-07 is in the past"
    )


def test_session_beyond_the_calendar_is_refused_not_guessed() -> None:
    payload = SchedulePayload(session=session(D(2040, 5, 7)))
    reason = g.notice_lead_time(record(S.ready), payload, ctx(D(2025, 5, 8)))
    assert reason is not None and reason.startswith("calendar: ")


# ------------------------------------------------------- materials lead time (5 business days)


@pytest.mark.parametrize(
    ("on", "late_reason", "error"),
    [
        (D(2025, 4, 25), None, None),  # 5 business days before Wed 5/7 across Golden Week
        (
            D(2025, 4, 28),
            None,
            "materials were due by 2025-04-25 (5 business days before the session); "
            "give late_reason to send them late",
        ),
        (D(2025, 4, 28), "委託先の回答待ち", None),
        (D(2025, 5, 7), "当日配布", None),
        (D(2025, 5, 8), "当日配布", "the session has already been held"),
    ],
)
def test_materials_lead_time(on: dt.date, late_reason: str | None, error: str | None) -> None:
    case = record(S.scheduled, session=session(D(2025, 5, 7)))
    payload = SendMaterialsPayload(late_reason=late_reason)
    assert g.materials_lead_time(case, payload, ctx(on)) == error


# ---------------------------------------------------------------- quorum


HELD = D(2025, 5, 7)


@pytest.mark.parametrize(
    ("present", "seats", "on", "error"),
    [
        (5, 10, HELD, "no quorum: 5 of 10 present, a majority is needed"),
        (6, 10, HELD, None),
        (10, 10, HELD, None),
        (11, 10, HELD, "present (11) exceeds seats (10)"),
        (6, 10, HELD + dt.timedelta(days=1), "the session is held on 2025-05-07, not 2025-05-08"),
    ],
)
def test_quorum(present: int, seats: int, on: dt.date, error: str | None) -> None:
    case = record(S.materials_sent, session=session(HELD))
    payload = OpenDeliberationPayload(present=present, seats=seats)
    assert g.quorum(case, payload, ctx(on)) == error


# ---------------------------------------------------------------- decisions


def _decide(outcome: str, yes: int, no: int = 0, abstain: int = 0, **kw: Any) -> DecidePayload:
    votes = Votes(yes=yes, no=no, abstain=abstain, chair_casting=kw.pop("casting", None))
    return DecidePayload(outcome=outcome, votes=votes, **kw)


ONE_CONDITION = [condition("before_start")]


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (_decide("approve", 4, 2, 1), "votes cast (7) exceed members present (6)"),
        (_decide("approve_with_conditions", 5), "approve_with_conditions needs at least one"),
        (_decide("approve", 5, conditions=ONE_CONDITION), "use outcome approve_with_conditions"),
        (_decide("approve_with_conditions", 5, 1, conditions=ONE_CONDITION), None),
        (_decide("approve", 4, 2), None),
        (_decide("approve", 4), None),  # a majority of those present, even if some did not vote
        (_decide("approve", 3, 2, 1), "3 of 6 voted yes: no majority of those present"),
        (_decide("approve", 3, 3, casting=True), None),  # 可否同数: the chair decides
        (_decide("approve", 3, 3, casting=False), "no majority"),
        (_decide("approve", 3, 3), "no majority"),
        (_decide("reject", 3, 3, casting=False), None),
        (_decide("reject", 3, 3, casting=True), "the motion carried, it cannot be rejected"),
        (_decide("reject", 4, 2), "4 of 6 voted yes: the motion carried, it cannot be rejected"),
        (_decide("reject", 1, 5), None),
    ],
)
def test_valid_decision(payload: DecidePayload, error: str | None) -> None:
    case = record(S.deliberating, session=session(HELD), attendance=(6, 10))
    reason = g.valid_decision(case, payload, ctx(HELD))
    if error is None:
        assert reason is None
    else:
        assert reason is not None and error in reason


def test_report_item_is_not_decided() -> None:
    case = record(S.deliberating, category=Category.report, attendance=(6, 10))
    assert g.valid_decision(case, _decide("approve", 6), ctx(HELD)) == (
        "a report item is noted or converted, not decided"
    )


@pytest.mark.parametrize(
    ("category", "error"),
    [
        (Category.report, None),
        (Category.consultation, "only a report item (報告) can be noted or converted"),
    ],
)
def test_report_only_triggers(category: Category, error: str | None) -> None:
    assert g.is_report(record(S.deliberating, category=category), None, ctx(HELD)) == error


@pytest.mark.parametrize("trigger", [Trigger.note_report, Trigger.convert_to_consultation])
def test_report_only_triggers_refuse_a_consultation(trigger: Trigger) -> None:
    case = record(S.deliberating, session=session(HELD), attendance=(6, 10))
    payload = {} if trigger is Trigger.note_report else {"reason": "審議が必要"}
    with pytest.raises(GuardFailed) as exc:
        check_act(case, CONFIG, CaseMachine(S.deliberating), act(trigger, "council", payload), HELD)
    assert "only a report item" in exc.value.message


# ---------------------------------------------------------------- continuing to another session


@pytest.mark.parametrize(
    ("next_session", "error"),
    [
        (
            session(D(2025, 4, 7), "s0"),
            "next_session.held_on must not be before the current session",
        ),
        (session(HELD, "s2"), None),  # a second session the same day (午前・午後)
        (session(HELD, "s1"), "next_session must be another session"),
        (session(D(2025, 6, 4), "s1"), "next_session must be another session"),
        (session(D(2025, 6, 4), "s2"), None),
    ],
)
def test_continue_deliberation(next_session: SessionRef, error: str | None) -> None:
    case = record(S.deliberating, session=session(HELD, "s1"))
    payload = ContinuePayload(reason="追加資料を求める", next_session=next_session)
    assert g.later_session(case, payload, ctx(HELD)) == error


# ---------------------------------------------------------------- answer


@pytest.mark.parametrize(
    ("on", "error"),
    [
        (D(2025, 5, 6), "the answer cannot predate the decision of 2025-05-07"),
        (D(2025, 5, 7), None),
        (D(2025, 5, 20), None),
    ],
)
def test_answer_is_not_dated_before_the_decision(on: dt.date, error: str | None) -> None:
    case = record(S.answer_drafting, decision=decision(decided_on=D(2025, 5, 7)))
    assert g.decided_before(case, None, ctx(on)) == error


# ---------------------------------------------------------------- apply_outcome


@pytest.mark.parametrize(
    ("outcome", "dest"),
    [
        (Outcome.approve, S.active),
        (Outcome.approve_with_conditions, S.conditions_pending),
        (Outcome.reject, S.rejected),
    ],
)
def test_apply_outcome_routes_by_the_decision(outcome: Outcome, dest: CaseState) -> None:
    conditions = ONE_CONDITION if outcome is Outcome.approve_with_conditions else []
    case = record(S.answered, decision=decision(outcome, conditions=conditions))
    machine = CaseMachine(S.answered)
    assert machine.fire(Trigger.apply_outcome, case, NoPayload(), ctx(HELD)) is dest
    assert machine.state == dest.value


def test_apply_outcome_without_a_decision_does_not_fire() -> None:
    machine = CaseMachine(S.answered)
    assert not machine.can(Trigger.apply_outcome, record(S.answered), NoPayload(), ctx(HELD))
    with pytest.raises(RuntimeError, match="apply_outcome did not fire from answered"):
        machine.fire(Trigger.apply_outcome, record(S.answered), NoPayload(), ctx(HELD))
    assert machine.state == "answered"


# ---------------------------------------------------------------- conditions fulfilled

CONDITIONS = [
    condition("before_contract"),
    condition("before_start"),
    condition("by_date", D(2026, 3, 31)),  # reported later: does not block the start
]


def _verify(*numbers: int) -> list[Verification]:
    return [Verification(condition=n, evidence=f"証跡{n}") for n in numbers]


@pytest.mark.parametrize(
    ("already", "now", "error"),
    [
        ((), (4,), "no such condition: [4] (the decision has 3)"),
        ((), (1,), "pre-start conditions not yet verified: [2]"),
        ((), (3,), "pre-start conditions not yet verified: [1, 2]"),
        ((), (1, 2), None),
        ((1,), (2,), None),  # cumulative: the first verification was recorded earlier
        ((1,), (3,), "pre-start conditions not yet verified: [2]"),
    ],
)
def test_prestart_conditions_verified(
    already: tuple[int, ...], now: tuple[int, ...], error: str | None
) -> None:
    case = record(
        S.conditions_pending,
        decision=decision("approve_with_conditions", conditions=CONDITIONS),
        verified=_verify(*already),
    )
    payload = ConditionsFulfilledPayload(verified=_verify(*now))
    assert g.prestart_conditions_verified(case, payload, ctx(D(2025, 6, 1))) == error


@pytest.mark.parametrize(
    ("votes", "outcome", "conditions", "error"),
    [
        # 7 present, 3 yes / 3 no / 1 abstains: 可否同数, the chair's vote decides
        ({"yes": 3, "no": 3, "abstain": 1, "chair_casting": True}, "approve", [], None),
        ({"yes": 3, "no": 3, "abstain": 1, "chair_casting": False}, "approve", [], "no majority"),
        (
            {"yes": 1, "no": 6},
            "reject",
            [{"text": "x", "type": "report", "due": "before_start", "owner": "課"}],
            "takes none",
        ),
    ],
)
def test_ties_and_rejections(
    votes: dict[str, Any], outcome: str, conditions: list[dict[str, Any]], error: str | None
) -> None:
    case = record(S.deliberating, session=session(HELD), attendance=(7, 10))
    payload = DecidePayload.model_validate(
        {"outcome": outcome, "votes": votes, "conditions": conditions}
    )
    reason = g.valid_decision(case, payload, ctx(HELD))
    assert reason is None if error is None else (reason is not None and error in reason)


def test_triage_rule_cannot_end_before_it_starts() -> None:
    from pydantic import ValidationError

    from models.case.triage import KindRule

    with pytest.raises(ValidationError, match="effective_to is before effective_from"):
        KindRule(
            kind="external_linkage",
            requirement="optional",
            legal_basis="x",
            effective_from=D(2023, 4, 1),
            effective_to=D(2023, 3, 1),
        )
