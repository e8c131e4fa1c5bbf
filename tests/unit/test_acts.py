"""apply_act: the facts an accepted act records, its transition record and its warnings;
and next_deadline, the date a case shows as due in each state."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from models.calendar.jcalendar import build_closure_table
from models.case.acts import apply_act
from models.case.checks import check_act, engine_act
from models.case.deadlines import next_deadline
from models.case.document import Category
from models.case.lifecycle import CaseMachine
from models.case.payloads import Condition, NoPayload, SessionRef, Verification, Votes
from models.case.record import CaseConfig, CaseRecord, Decision, TransitionRecord
from models.case.states import CaseState, Role, Trigger
from models.case.triage import DEFAULT_TRIAGE_TABLE, Requirement
from tests.factories import act, actor, creation, document

S = CaseState
D = dt.date
JST = dt.timezone(dt.timedelta(hours=9))
CONFIG = CaseConfig(triage=DEFAULT_TRIAGE_TABLE, closures=build_closure_table(2015, 2035))
CREATED = D(2025, 4, 1)
COUNCIL = "個人情報保護審議会"


def session(held_on: dt.date, session_id: str = "2025-2") -> dict[str, str]:
    return {"session_id": session_id, "council": COUNCIL, "held_on": held_on.isoformat()}


def new_case(**doc: Any) -> tuple[CaseRecord, CaseMachine]:
    created = creation(CREATED, dt.datetime(2025, 4, 1, 9, tzinfo=JST))
    document_ = document(**doc)
    case = CaseRecord(
        case_id="c0ffee000003",
        external_ref="保健-7",
        document=document_,
        category=document_.category,
        state=S.draft,
        history=[created],
    )
    return case, CaseMachine(S.draft)


def do(
    case: CaseRecord,
    machine: CaseMachine,
    trigger: str,
    role: str,
    on: dt.date,
    payload: dict[str, Any] | None = None,
) -> TransitionRecord:
    """What the workflow does with a person's act: check, fire, record."""
    checked = check_act(case, CONFIG, machine, act(trigger, role, payload, on=on), on)
    dest = machine.fire(checked.trigger, case, checked.payload, checked.ctx)
    return apply_act(case, checked, dest, dt.datetime.combine(on, dt.time(10), JST))


def engine(case: CaseRecord, machine: CaseMachine, trigger: Trigger, on: dt.date) -> None:
    """What the workflow does itself for an AUTOMATIC trigger."""
    checked = engine_act(case, CONFIG, machine, trigger, NoPayload(), on)
    assert checked is not None, f"{trigger} cannot fire from {case.state}"
    dest = machine.fire(trigger, case, checked.payload, checked.ctx)
    apply_act(case, checked, dest, dt.datetime.combine(on, dt.time(10), JST))


CONDITIONS = [
    {
        "text": "契約書に再委託禁止を定める",
        "type": "contract_clause",
        "due": "before_contract",
        "owner": "保健センター",
    },
    {
        "text": "運用後の点検結果を報告する",
        "type": "report",
        "due": "by_date",
        "due_on": "2026-03-31",
        "owner": "保健センター",
    },
]


def to_deliberating(**doc: Any) -> tuple[CaseRecord, CaseMachine]:
    """A case on the 2025-05-07 session (the Wednesday after Golden Week), quorum present."""
    case, machine = new_case(**doc)
    do(case, machine, "submit", "department", D(2025, 4, 2))
    do(case, machine, "require_consultation", "secretariat", D(2025, 4, 3), {"reason": "必要"})
    items = {"items": [{"check_id": "C1", "result": "conforming"}]}
    do(case, machine, "pass_precheck", "it", D(2025, 4, 8), items)
    do(case, machine, "schedule", "secretariat", D(2025, 4, 9), {"session": session(D(2025, 5, 7))})
    do(case, machine, "send_materials", "secretariat", D(2025, 4, 21))
    do(case, machine, "open_deliberation", "chair", D(2025, 5, 7), {"seats": 10, "present": 7})
    return case, machine


# ---------------------------------------------------------------- the happy path


def test_a_conditional_approval_from_draft_to_active() -> None:
    case, machine = to_deliberating()
    decide = {
        "outcome": "approve_with_conditions",
        "votes": {"yes": 6, "no": 1},
        "conditions": CONDITIONS,
        "opinions": [{"text": "ログを定期的に確認されたい"}],
    }
    do(case, machine, "decide", "council", D(2025, 5, 7), decide)
    do(case, machine, "issue_answer", "chair", D(2025, 5, 20), {"number": "第870号"})
    engine(case, machine, Trigger.apply_outcome, D(2025, 5, 20))
    verified = {"verified": [{"condition": 1, "evidence": "契約書第12条"}]}
    do(case, machine, "conditions_fulfilled", "secretariat", D(2025, 6, 2), verified)

    assert [(r.seq, r.trigger, r.source, r.dest) for r in case.history] == [
        (0, None, None, S.draft),
        (1, Trigger.submit, S.draft, S.triage),
        (2, Trigger.require_consultation, S.triage, S.precheck),
        (3, Trigger.pass_precheck, S.precheck, S.ready),
        (4, Trigger.schedule, S.ready, S.scheduled),
        (5, Trigger.send_materials, S.scheduled, S.materials_sent),
        (6, Trigger.open_deliberation, S.materials_sent, S.deliberating),
        (7, Trigger.decide, S.deliberating, S.answer_drafting),
        (8, Trigger.issue_answer, S.answer_drafting, S.answered),
        (9, Trigger.apply_outcome, S.answered, S.conditions_pending),
        (10, Trigger.conditions_fulfilled, S.conditions_pending, S.active),
    ]
    assert case.seq == 10 and case.state is S.active and machine.state == "active"
    assert case.history[9].actor.role is Role.engine
    assert case.last_on == D(2025, 6, 2)
    # the facts each act brought
    assert case.triage is not None
    assert case.triage.requirement is Requirement.optional  # planned start 2031: art. 129
    assert case.triage.rule_effective_from == D(2023, 4, 1)
    assert case.triage.reason == "必要"
    assert [i.check_id for i in case.precheck] == ["C1"]
    assert case.session == SessionRef(session_id="2025-2", council=COUNCIL, held_on=D(2025, 5, 7))
    assert case.attendance == (7, 10)
    assert case.decision is not None
    assert case.decision.decided_on == D(2025, 5, 7)
    assert case.decision.votes == Votes(yes=6, no=1)
    assert [c.due for c in case.decision.conditions] == ["before_contract", "by_date"]
    assert case.decision.opinions[0].text == "ログを定期的に確認されたい"
    assert case.answer is not None
    assert (case.answer.number, case.answer.issued_on, case.answer.approved_by) == (
        "第870号",
        D(2025, 5, 20),
        "session",
    )
    assert case.verified == [Verification(condition=1, evidence="契約書第12条")]
    assert case.warnings == []


def test_transition_record_carries_actor_dates_and_reason() -> None:
    case, machine = new_case()
    record = do(case, machine, "withdraw", "department", D(2025, 4, 3), {"reason": "事業中止"})
    assert record is case.history[-1]
    assert record.seq == 1
    assert record.actor == actor("department")
    assert record.on == D(2025, 4, 3)
    assert record.at == dt.datetime(2025, 4, 3, 10, tzinfo=JST)
    assert record.reason == "事業中止"
    assert case.state is S.withdrawn


@pytest.mark.parametrize(
    ("trigger", "role", "payload", "reason"),
    [
        (
            "return_to_department",
            "it",
            {"comments": ["C3を補正", "別紙2を添付"]},
            "C3を補正; 別紙2を添付",
        ),
        ("withdraw", "department", {"reason": "事業中止"}, "事業中止"),
        ("pass_precheck", "it", {"items": [{"check_id": "C1", "result": "conforming"}]}, None),
    ],
)
def test_reason_is_taken_from_the_payload(
    trigger: str, role: str, payload: dict[str, Any], reason: str | None
) -> None:
    case, machine = new_case()
    do(case, machine, "submit", "department", D(2025, 4, 2))
    do(case, machine, "require_consultation", "secretariat", D(2025, 4, 3), {"reason": "必要"})
    assert do(case, machine, trigger, role, D(2025, 4, 4), payload).reason == reason


def test_return_to_department_keeps_the_comments() -> None:
    case, machine = new_case()
    do(case, machine, "submit", "department", D(2025, 4, 2))
    do(case, machine, "require_consultation", "secretariat", D(2025, 4, 3), {"reason": "必要"})
    do(case, machine, "return_to_department", "secretariat", D(2025, 4, 4), {"comments": ["補正"]})
    assert case.state is S.draft
    assert case.return_comments == ["補正"]


# ---------------------------------------------------------------- warnings


def test_session_after_the_planned_start_warns_ex_post() -> None:
    case, machine = new_case(planned_start="2025-05-01")
    do(case, machine, "submit", "department", D(2025, 4, 2))
    do(case, machine, "require_consultation", "secretariat", D(2025, 4, 3), {"reason": "必要"})
    items = {"items": [{"check_id": "C1", "result": "conforming"}]}
    do(case, machine, "pass_precheck", "it", D(2025, 4, 8), items)
    assert case.warnings == []
    do(case, machine, "schedule", "secretariat", D(2025, 4, 9), {"session": session(D(2025, 5, 7))})
    [warning] = case.warnings
    assert warning.code == "ex_post"
    assert warning.seq == 4
    assert warning.message == (
        "事後諮問: the session on 2025-05-07 is after the planned start 2025-05-01"
    )


def test_session_before_the_planned_start_does_not_warn() -> None:
    case, _ = to_deliberating(planned_start="2025-06-01")
    assert [w.code for w in case.warnings] == []


def test_submission_after_the_planned_start_warns_ex_post() -> None:
    case, machine = new_case(planned_start="2025-04-01")
    do(case, machine, "submit", "department", D(2025, 4, 2))
    assert [(w.code, w.seq) for w in case.warnings] == [("ex_post", 1)]
    assert "submitted on 2025-04-02" in case.warnings[0].message


def test_continuing_past_the_planned_start_warns_ex_post() -> None:
    case, machine = to_deliberating(planned_start="2025-06-01")
    payload = {"reason": "資料不足", "next_session": session(D(2025, 6, 4), "2025-3")}
    do(case, machine, "continue_deliberation", "council", D(2025, 5, 7), payload)
    assert [w.code for w in case.warnings] == ["ex_post"]
    assert "the next session on 2025-06-04" in case.warnings[0].message
    # the held session moves to the past, attendance must be taken again
    assert [s.session_id for s in case.past_sessions] == ["2025-2"]
    assert case.session is not None and case.session.session_id == "2025-3"
    assert case.attendance is None
    assert case.state is S.scheduled


def test_late_materials_warn_with_the_reason() -> None:
    case, machine = new_case()
    do(case, machine, "submit", "department", D(2025, 4, 2))
    do(case, machine, "require_consultation", "secretariat", D(2025, 4, 3), {"reason": "必要"})
    items = {"items": [{"check_id": "C1", "result": "conforming"}]}
    do(case, machine, "pass_precheck", "it", D(2025, 4, 8), items)
    do(case, machine, "schedule", "secretariat", D(2025, 4, 9), {"session": session(D(2025, 5, 7))})
    late = {"late_reason": "委託先の回答待ち"}
    record = do(case, machine, "send_materials", "secretariat", D(2025, 4, 30), late)
    assert record.reason == "委託先の回答待ち"
    [warning] = case.warnings
    assert (warning.code, warning.seq) == ("materials_late", 5)
    assert warning.message == "materials sent late: 委託先の回答待ち"


# ---------------------------------------------------------------- facts that change the case


def test_amend_replaces_the_document_and_its_category() -> None:
    case, machine = new_case()
    amended = document(
        title="集団検診予約システム (修正版)", kind="record_items", category="report"
    )
    do(case, machine, "amend", "department", D(2025, 4, 2), {"document": amended.model_dump()})
    assert case.document == amended
    assert case.category is Category.report
    assert case.state is S.draft
    assert case.history[-1].source is S.draft and case.history[-1].dest is S.draft


def test_waive_records_the_triage_decision() -> None:
    case, machine = new_case()
    do(case, machine, "submit", "department", D(2025, 4, 2))
    do(case, machine, "waive_consultation", "secretariat", D(2025, 4, 3), {"reason": "不要"})
    assert case.state is S.not_required
    assert case.triage is not None
    assert case.triage.requirement is Requirement.not_required
    assert case.triage.legal_basis.startswith("個人情報の保護に関する法律第129条")
    assert case.triage.reason == "不要"


def test_report_item_is_noted() -> None:
    case, machine = to_deliberating(kind="record_items", category="report")
    assert case.category is Category.report
    do(case, machine, "note_report", "council", D(2025, 5, 7))
    assert case.state is S.noted


def test_convert_to_consultation_sets_the_category() -> None:
    case, machine = new_case()
    do(case, machine, "submit", "department", D(2025, 4, 2))
    payload = {"reason": "報告事項として扱う", "category": "report"}
    do(case, machine, "require_consultation", "secretariat", D(2025, 4, 3), payload)
    assert case.category is Category.report
    items = {"items": [{"check_id": "C1", "result": "conforming"}]}
    do(case, machine, "pass_precheck", "it", D(2025, 4, 8), items)
    do(case, machine, "schedule", "secretariat", D(2025, 4, 9), {"session": session(D(2025, 5, 7))})
    do(case, machine, "send_materials", "secretariat", D(2025, 4, 21))
    do(case, machine, "open_deliberation", "chair", D(2025, 5, 7), {"seats": 10, "present": 7})
    convert = {"reason": "委員から諮問とすべきとの意見"}
    do(case, machine, "convert_to_consultation", "council", D(2025, 5, 7), convert)
    assert case.category is Category.consultation
    assert case.state is S.precheck
    assert case.history[-1].reason == "委員から諮問とすべきとの意見"


# ---------------------------------------------------------------- next_deadline


def at(state: CaseState, last_on: dt.date, **facts: Any) -> CaseRecord:
    case, _ = new_case(**facts.pop("doc", {}))
    case.history[0] = case.history[0].model_copy(update={"on": last_on})
    return case.model_copy(update={"state": state, **facts})


def _decision(decided_on: dt.date, *conditions: dict[str, Any]) -> Decision:
    return Decision(
        outcome="approve_with_conditions" if conditions else "approve",
        votes=Votes(yes=6),
        conditions=[Condition.model_validate(c) for c in conditions],
        decided_on=decided_on,
    )


SESSION = SessionRef(session_id="2025-2", council=COUNCIL, held_on=D(2025, 5, 7))
DATED = {**CONDITIONS[1], "due_on": "2025-09-30"}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # 10 / 20 business days after the submission on Fri 4/25, across Golden Week
        (at(S.triage, D(2025, 4, 25)), (D(2025, 5, 14), "triage decision")),
        (at(S.precheck, D(2025, 4, 25)), (D(2025, 5, 28), "pre-check result")),
        (at(S.ready, D(2025, 4, 25)), (D(2031, 4, 1), "planned start (schedule before it)")),
        (at(S.ready, D(2025, 4, 25), doc={"planned_start": None}), None),
        (at(S.scheduled, D(2025, 4, 9), session=SESSION), (D(2025, 4, 25), "materials to members")),
        (at(S.materials_sent, D(2025, 4, 21), session=SESSION), (D(2025, 5, 7), "council session")),
        (at(S.deliberating, D(2025, 5, 7), session=SESSION), (D(2025, 5, 7), "council session")),
        # 12/19 + 14 days is 1/2, in the New Year closure: due the next business day, 1/5
        (
            at(S.answer_drafting, D(2025, 12, 19), decision=_decision(D(2025, 12, 19))),
            (D(2026, 1, 5), "answer (答申)"),
        ),
        (
            at(
                S.conditions_pending,
                D(2025, 6, 2),
                decision=_decision(D(2025, 5, 7), CONDITIONS[1], DATED),
            ),
            (D(2025, 9, 30), "condition evidence"),
        ),
        (
            at(
                S.conditions_pending,
                D(2025, 6, 2),
                decision=_decision(D(2025, 5, 7), CONDITIONS[0], DATED),
                verified=[Verification(condition=2, evidence="点検報告書")],
            ),
            (D(2031, 4, 1), "pre-start conditions"),
        ),
        (at(S.draft, D(2025, 4, 25)), None),
        (at(S.active, D(2025, 4, 25)), None),
        (at(S.closed, D(2025, 4, 25)), None),
        # beyond the calendar table: no deadline rather than a wrong one
        (at(S.triage, D(2035, 12, 25)), None),
    ],
    ids=lambda v: v.state.value if isinstance(v, CaseRecord) else "",
)
def test_next_deadline(case: CaseRecord, expected: tuple[dt.date, str] | None) -> None:
    assert next_deadline(case, CONFIG) == expected
