"""Conditions one by one, obligations, re-review and the reminder plan: pure, no server."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from models.calendar.clock import ClockEpoch, business_today, instant
from models.calendar.jcalendar import build_closure_table
from models.case.acts import apply_act, check_act
from models.case.document import Category
from models.case.lifecycle import AUTOMATIC, CaseMachine
from models.case.payloads import Condition, NoPayload, Votes
from models.case.record import CaseConfig, CaseRecord, Decision
from models.case.states import CaseState, Role, Trigger
from models.case.triage import DEFAULT_TRIAGE_TABLE
from models.errors import (
    ConditionClosed,
    GuardFailed,
    InvalidPayload,
    UnknownCondition,
    UnknownObligation,
)
from models.policy import CasePolicy
from models.tracking.conditions import ConditionStatus
from models.tracking.schedule import due_items, plan
from tests.factories import act, creation, document

S = CaseState
JST = dt.timezone(dt.timedelta(hours=9))
CONFIG = CaseConfig(triage=DEFAULT_TRIAGE_TABLE, closures=build_closure_table(2024, 2036))
ANSWERED_ON = dt.date(2026, 4, 1)


def conditions() -> list[Condition]:
    return [
        Condition(
            text="委託契約に再委託の禁止を定めること",
            type="contract_clause",
            due="before_contract",
            owner="保健センター",
        ),
        Condition(
            text="運用開始後1年以内にアクセスログの点検結果を報告すること",
            type="report",
            due="by_date",
            due_on=dt.date(2026, 6, 30),
            owner="保健センター",
        ),
    ]


def answered(conds: list[Condition] | None = None) -> CaseRecord:
    conds = conditions() if conds is None else conds
    return CaseRecord(
        case_id="c0ffee000002",
        external_ref="R8-12",
        document=document(planned_start={"year": 2026, "month": 9, "day": 1}),
        category=Category.consultation,
        state=S.answered,
        history=[creation(ANSWERED_ON)],
        decision=Decision(
            outcome="approve_with_conditions" if conds else "approve",
            votes=Votes(yes=6),
            conditions=conds,
            decided_on=ANSWERED_ON,
        ),
    )


def run(case: CaseRecord, trigger: str, role: Role, payload: dict[str, Any], on: dt.date) -> None:
    """What the workflow does with an act: check, fire, then the automatic follow-ups."""
    machine = CaseMachine(case.state)
    checked = check_act(case, CONFIG, machine, act(trigger, role, payload, on=on), on)
    apply_act(
        case,
        checked,
        machine.fire(checked.trigger, case, checked.payload, checked.ctx),
        dt.datetime(2026, 1, 1, tzinfo=JST),
    )
    engine(case, on)


def engine(case: CaseRecord, on: dt.date) -> None:
    from models.case.acts import CheckedAct
    from models.case.guards import GuardContext
    from models.case.record import Actor

    for trigger in AUTOMATIC:
        machine = CaseMachine(case.state)
        follow = CheckedAct(
            trigger, Actor(role=Role.engine, name="toshin"), NoPayload(), GuardContext(CONFIG, on)
        )
        if machine.can(trigger, case, follow.payload, follow.ctx):
            apply_act(
                case,
                follow,
                machine.fire(trigger, case, follow.payload, follow.ctx),
                dt.datetime(2026, 1, 1, tzinfo=JST),
            )


def pending() -> CaseRecord:
    case = answered()
    engine(case, ANSWERED_ON)
    return case


# ---------------------------------------------------------------- conditions


def test_a_conditional_answer_tracks_each_condition_with_its_due_date() -> None:
    case = pending()
    assert case.state is S.conditions_pending
    assert [c.status for c in case.conditions] == [ConditionStatus.open] * 2
    assert case.conditions[0].due_on == dt.date(2026, 9, 1)  # pre-start: the planned start
    assert case.conditions[1].due_on == dt.date(2026, 6, 30)


def test_the_next_deadline_of_an_answered_case_is_what_it_tracks() -> None:
    from models.case.deadlines import next_deadline

    case = pending()  # condition 2 by 2026-06-30 comes before the pre-start one (09-01)
    assert next_deadline(case, CONFIG) == (dt.date(2026, 6, 30), case.conditions[1].what)
    quiet = answered([])
    engine(quiet, ANSWERED_ON)
    assert next_deadline(quiet, CONFIG) == (dt.date(2029, 4, 1), "次回の定期再審査")
    run(quiet, "add_obligation", Role.secretariat, {"obligation": PMARK}, dt.date(2026, 4, 2))
    assert next_deadline(quiet, CONFIG) == (dt.date(2027, 7, 30), quiet.obligations[0].current.what)  # type: ignore[union-attr]


def test_a_condition_due_within_business_days_counts_them_from_the_answer() -> None:
    within = Condition(
        text="委託先の作業従事者名簿を提出すること",
        type="report",
        due="within_business_days",
        business_days=10,
        owner="保健センター",
    )
    case = answered([within])
    engine(case, ANSWERED_ON)
    assert case.state is S.active  # it does not hold the start
    expected = CONFIG.closures.add_business_days(ANSWERED_ON, 10)
    assert case.conditions[0].due_on == expected
    assert (expected - ANSWERED_ON).days > 10  # weekends (and holidays) are not counted


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"due": "within_business_days"}, "business_days is required"),
        ({"due": "by_date", "due_on": "2026-06-30", "business_days": 5}, "business_days"),
        ({"due": "within_business_days", "business_days": 0}, "greater than or equal to 1"),
    ],
)
def test_a_business_day_rule_needs_its_count_and_only_it(
    fields: dict[str, Any], words: str
) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=words):
        Condition.model_validate({"text": "報告", "type": "report", "owner": "課", **fields})


def test_only_by_date_conditions_let_the_case_start_at_once() -> None:
    case = answered(conditions()[1:])
    engine(case, ANSWERED_ON)
    assert case.state is S.active
    assert case.conditions[0].status is ConditionStatus.open


def test_unconditional_approval_is_active_and_plans_the_rereview() -> None:
    case = answered([])
    engine(case, ANSWERED_ON)
    assert case.state is S.active
    assert case.active_since == ANSWERED_ON
    assert case.next_review_on == dt.date(2029, 4, 1)  # 36 months


def test_evidence_then_verification_activates_the_case() -> None:
    case = pending()
    on = dt.date(2026, 5, 1)
    run(case, "submit_evidence", Role.department, {"condition": 1, "file_ref": "契約書第12条"}, on)
    assert case.conditions[0].status is ConditionStatus.submitted
    assert case.state is S.conditions_pending
    run(case, "verify_condition", Role.secretariat, {"condition": 1, "note": "確認済"}, on)
    assert case.conditions[0].status is ConditionStatus.verified
    assert case.state is S.active  # the by_date condition does not block the start
    assert case.history[-1].trigger is Trigger.activate


def test_rejected_evidence_is_open_again_and_takes_new_evidence() -> None:
    case = pending()
    on = dt.date(2026, 5, 1)
    run(case, "submit_evidence", Role.department, {"condition": 1, "file_ref": "案"}, on)
    run(case, "reject_evidence", Role.secretariat, {"condition": 1, "reason": "条項がない"}, on)
    assert case.conditions[0].status is ConditionStatus.rejected
    assert case.conditions[0].verdict == "条項がない"
    run(case, "submit_evidence", Role.department, {"condition": 1, "file_ref": "契約書第12条"}, on)
    assert [e.file_ref for e in case.conditions[0].evidence] == ["案", "契約書第12条"]


def test_waiving_the_blocking_condition_activates_the_case() -> None:
    case = pending()
    run(
        case,
        "waive_condition",
        Role.secretariat,
        {"condition": 1, "reason": "契約方式変更"},
        dt.date(2026, 5, 1),
    )
    assert case.conditions[0].status is ConditionStatus.waived
    assert case.state is S.active


@pytest.mark.parametrize(
    ("trigger", "role", "payload", "error", "words"),
    [
        (
            "submit_evidence",
            Role.department,
            {"condition": 3, "file_ref": "x"},
            UnknownCondition,
            "no condition 3",
        ),
        ("verify_condition", Role.secretariat, {"condition": 1}, ConditionClosed, "only submitted"),
        (
            "waive_condition",
            Role.secretariat,
            {"condition": 9, "reason": "r"},
            UnknownCondition,
            "has 2 condition",
        ),
        (
            "submit_evidence",
            Role.department,
            {"condition": 0, "file_ref": "x"},
            InvalidPayload,
            "payload.condition",
        ),
        ("submit_evidence", Role.department, {"condition": 1}, InvalidPayload, "payload.file_ref"),
    ],
)
def test_bad_condition_acts_are_refused_by_type_and_change_nothing(
    trigger: str, role: Role, payload: dict[str, Any], error: type[Exception], words: str
) -> None:
    case = pending()
    before = case.model_dump()
    with pytest.raises(error) as exc:
        check_act(
            case, CONFIG, CaseMachine(case.state), act(trigger, role, payload), dt.date(2026, 5, 1)
        )
    assert words in str(exc.value)
    assert case.model_dump() == before


def test_evidence_for_an_already_verified_condition_is_refused() -> None:
    case = pending()
    on = dt.date(2026, 5, 1)
    run(case, "submit_evidence", Role.department, {"condition": 1, "file_ref": "契約書"}, on)
    run(case, "verify_condition", Role.secretariat, {"condition": 1}, on)
    with pytest.raises(ConditionClosed, match="condition 1 is verified"):
        check_act(
            case,
            CONFIG,
            CaseMachine(case.state),
            act("submit_evidence", Role.department, {"condition": 1, "file_ref": "再提出"}),
            on,
        )


def test_batch_conditions_fulfilled_marks_tracked_conditions_verified() -> None:
    case = pending()
    run(
        case,
        "conditions_fulfilled",
        Role.secretariat,
        {"verified": [{"condition": 1, "evidence": "契約書第12条"}]},
        dt.date(2026, 5, 1),
    )
    assert case.state is S.active
    assert case.conditions[0].status is ConditionStatus.verified


# ---------------------------------------------------------------- obligations and review

PMARK = {
    "id": "pmark",
    "kind": "certificate",
    "anchor": "2026-04-01",
    "certificate": {
        "scheme": "privacy_mark",
        "vendor": "株式会社サンプル",
        "number": "10800001(08)",
        "issued_on": "2025-12-01",
        "expires_on": "2027-11-30",
    },
}


def active() -> CaseRecord:
    case = answered([])
    engine(case, ANSWERED_ON)
    return case


def test_an_obligation_plans_its_first_due_and_fulfilment_plans_the_next() -> None:
    case = active()
    on = dt.date(2026, 4, 2)
    run(case, "add_obligation", Role.secretariat, {"obligation": PMARK}, on)
    current = case.obligations[0].current
    assert current is not None
    assert current.window_from == dt.date(2027, 3, 31)  # day after 8 months before expiry
    assert current.due_on == dt.date(2027, 7, 30)  # 4 months before 2027-11-30
    run(
        case,
        "fulfil_obligation",
        Role.department,
        {"obligation": "pmark", "file_ref": "更新申請受付票"},
        on,
    )
    after = case.obligations[0].current
    assert after is not None and after.due_on == dt.date(2027, 11, 30) and after.lapses_certificate
    assert case.obligations[0].done[0].due_on == dt.date(2027, 7, 30)


def test_a_renewed_certificate_replans_the_cycle() -> None:
    case = active()
    on = dt.date(2026, 4, 2)
    run(case, "add_obligation", Role.secretariat, {"obligation": PMARK}, on)
    renewed = {**PMARK["certificate"], "issued_on": "2027-12-01", "expires_on": "2029-11-30"}  # type: ignore[dict-item]
    run(
        case,
        "renew_certificate",
        Role.department,
        {"obligation": "pmark", "certificate": renewed},
        on,
    )
    current = case.obligations[0].current
    assert current is not None and current.due_on.year == 2029
    assert case.obligations[0].obligation.certificate is not None
    assert case.obligations[0].obligation.certificate.expires_on == dt.date(2029, 11, 30)


@pytest.mark.parametrize(
    ("trigger", "payload", "error", "words"),
    [
        (
            "fulfil_obligation",
            {"obligation": "nope", "file_ref": "x"},
            UnknownObligation,
            "no obligation 'nope'",
        ),
        (
            "add_obligation",
            {
                "obligation": {
                    **PMARK,
                    "certificate": {**PMARK["certificate"], "expires_on": "2025-01-01"},
                }
            },  # type: ignore[dict-item]
            InvalidPayload,
            "payload.obligation.certificate",
        ),
        (
            "add_obligation",
            {"obligation": {"id": "log", "kind": "access_log_review", "anchor": "2026-04-01"}},
            InvalidPayload,
            "every_months",
        ),
    ],
)
def test_bad_obligation_acts_are_refused(
    trigger: str, payload: dict[str, Any], error: type[Exception], words: str
) -> None:
    case = active()
    role = Role.department if trigger == "fulfil_obligation" else Role.secretariat
    with pytest.raises(error) as exc:
        check_act(
            case, CONFIG, CaseMachine(case.state), act(trigger, role, payload), dt.date(2026, 5, 1)
        )
    assert words in str(exc.value)


def test_a_duplicate_obligation_id_is_refused() -> None:
    case = active()
    run(case, "add_obligation", Role.secretariat, {"obligation": PMARK}, dt.date(2026, 4, 2))
    with pytest.raises(GuardFailed, match="already an obligation"):
        check_act(
            case,
            CONFIG,
            CaseMachine(case.state),
            act("add_obligation", Role.secretariat, {"obligation": PMARK}),
            dt.date(2026, 4, 3),
        )


ERASURE = {"id": "erase", "kind": "data_erasure", "anchor": "2026-06-30"}


@pytest.mark.parametrize("missing", ["witnessed_by", "erasure_certificate"])
def test_a_data_erasure_is_done_only_witnessed_and_certified(missing: str) -> None:
    case = active()
    run(case, "add_obligation", Role.secretariat, {"obligation": ERASURE}, dt.date(2026, 4, 2))
    full = {
        "obligation": "erase",
        "file_ref": "消去作業報告書",
        "witnessed_by": "情報政策課 係長",
        "erasure_certificate": "消去証明書 第2026-031号",
    }
    before = case.model_dump()
    with pytest.raises(InvalidPayload, match=f"payload.{missing}: a data erasure"):
        check_act(
            case,
            CONFIG,
            CaseMachine(case.state),
            act(
                "fulfil_obligation",
                Role.department,
                {k: v for k, v in full.items() if k != missing},
            ),
            dt.date(2026, 6, 30),
        )
    assert case.model_dump() == before
    run(case, "fulfil_obligation", Role.department, full, dt.date(2026, 6, 30))
    done = case.obligations[0].done[0].evidence
    assert (done.witnessed_by, done.erasure_certificate) == (
        "情報政策課 係長",
        "消去証明書 第2026-031号",
    )
    assert case.obligations[0].current is None  # once only


def test_a_material_change_adds_an_immediate_pia_reevaluation() -> None:
    case = active()
    run(
        case,
        "report_material_change",
        Role.department,
        {"reason": "外部連携先の追加"},
        dt.date(2026, 5, 1),
    )
    tracked = case.obligations[-1]
    assert tracked.one_off and tracked.current is not None
    assert tracked.current.due_on > dt.date(2026, 5, 1)
    run(
        case,
        "fulfil_obligation",
        Role.department,
        {"obligation": tracked.obligation.id, "file_ref": "PIA評価書"},
        dt.date(2026, 5, 2),
    )
    assert case.obligations[-1].current is None


# ---------------------------------------------------------------- the plan


def test_plan_sends_the_ripe_rung_once_and_catches_up_only_the_latest() -> None:
    case = pending()
    # condition 2 is due 2026-06-30; now is 2026-06-29 10:00: b30 and b7 passed, b1 is ripe
    now = dt.datetime(2026, 6, 29, 10, tzinfo=JST)
    p = plan(case, CONFIG, now, now.date())
    c2 = [n for n in p.send if n.what == "条件2の履行報告"]
    assert len(c2) == 1 and c2[0].key.endswith(":c2:b1")
    assert any(k.endswith(":c2:b30") for k in p.skipped) and any(
        k.endswith(":c2:b7") for k in p.skipped
    )
    case.sent_rungs += [n.key for n in p.send] + p.skipped
    again = plan(case, CONFIG, now, now.date())
    assert not [n for n in again.send if n.what == "条件2の履行報告"]
    assert again.wake_at is not None and again.wake_at > now


def test_a_conditions_reminders_carry_its_owner() -> None:
    case = answered([conditions()[0], conditions()[1].model_copy(update={"owner": "情報政策課"})])
    engine(case, ANSWERED_ON)
    owners = {item.key: item.owner for item in due_items(case)}
    assert owners == {"c1": "保健センター", "c2": "情報政策課"}
    now = dt.datetime(2026, 6, 29, 10, tzinfo=JST)  # condition 2's b1 rung is ripe
    sent = [n for n in plan(case, CONFIG, now, now.date()).send if n.key.endswith(":c2:b1")]
    assert [(n.owner, n.department) for n in sent] == [("情報政策課", "保健センター")]


def test_plan_flags_a_condition_past_its_due_date_and_escalates() -> None:
    case = pending()
    now = dt.datetime(2026, 7, 2, 10, tzinfo=JST)  # Thu; due was Tue 6/30
    p = plan(case, CONFIG, now, now.date())
    assert [i.key for i in p.newly_overdue] == ["c2"]
    escalations = [n for n in p.send if n.overdue]
    assert escalations and escalations[0].audience == "escalation"


def test_reminders_carry_no_personal_data() -> None:
    case = pending()
    now = dt.datetime(2026, 6, 29, 10, tzinfo=JST)
    notice = plan(case, CONFIG, now, now.date()).send[0]
    assert set(notice.model_dump()) == {
        "key",
        "case_id",
        "case_number",
        "title",
        "department",
        "owner",  # only picks the department reminded; the mail never shows an owner that
        "audience",  # is not a department of the directory (responsible_department)
        "what",
        "due_on",
        "overdue",
        "resend",  # an admin's retry of a parked reminder: a flag, never in the mail
    }
    assert notice.case_number == "R8-12"


def test_items_list_open_conditions_obligations_and_the_review() -> None:
    case = pending()
    assert [i.key for i in due_items(case)] == ["c1", "c2"]


def test_fast_clock_maps_business_dates_to_seconds() -> None:
    epoch = ClockEpoch(at=dt.datetime(2026, 1, 1, 12, tzinfo=JST), on=dt.date(2026, 1, 1))
    assert instant(dt.date(2026, 1, 3), 0, day_seconds=2, epoch=epoch) == epoch.at + dt.timedelta(
        seconds=4
    )
    assert business_today(
        epoch.at + dt.timedelta(seconds=5), day_seconds=2, epoch=epoch
    ) == dt.date(2026, 1, 3)
    real = instant(dt.date(2026, 1, 3), 9, day_seconds=None, epoch=None)
    assert real == dt.datetime(2026, 1, 3, 9, tzinfo=JST)


def test_policy_refuses_a_ladder_with_negative_offsets() -> None:
    with pytest.raises(ValueError, match="before_business_days"):
        CasePolicy.model_validate({"reminder_ladder": {"before_business_days": [30, -7]}})


def test_a_due_beyond_the_calendar_table_is_not_planned_but_warned() -> None:
    short = CONFIG.model_copy(update={"closures": build_closure_table(2024, 2027)})
    case = active()
    payload = {"obligation": {"id": "pia", "kind": "pia_reevaluation", "anchor": "2026-04-02"}}
    machine = CaseMachine(case.state)
    on = dt.date(2026, 4, 2)
    checked = check_act(
        case, short, machine, act("add_obligation", Role.secretariat, payload, on=on), on
    )
    apply_act(
        case,
        checked,
        machine.fire(checked.trigger, case, checked.payload, checked.ctx),
        dt.datetime(2026, 4, 2, tzinfo=JST),
    )
    assert case.obligations[0].current is None
    assert case.warnings[-1].code == "beyond_calendar"
