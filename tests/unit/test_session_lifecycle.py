"""THE session table (models/session/lifecycle.py) drives behaviour: every allowed (state,
act) pair is applied to a real SessionRecord through the same pure ``check``/``apply`` the
workflow runs, and every pair the table refuses is refused with its typed error."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from models.calendar.jcalendar import build_closure_table
from models.case.lifecycle import roles_for as case_roles_for
from models.case.payloads import SessionRef
from models.case.states import Role, Trigger
from models.errors import GuardFailed, InvalidPayload, InvalidTransition, RoleNotAllowed
from models.session.checks import (
    CheckedAct,
    SessionContext,
    add_item,
    apply,
    carry_item,
    case_payload,
    check,
)
from models.session.council import Council, SessionPlan
from models.session.lifecycle import (
    ENGINE_ONLY,
    RULES,
    Act,
    SessionRule,
    allowed_actions,
    case_role,
    roles_for,
    rules_of,
)
from models.session.record import (
    QA,
    AddItems,
    AgendaItem,
    Attendance,
    CarryIn,
    CarryOver,
    CaseStepParked,
    DecideItem,
    DocumentFailure,
    IssueAnswer,
    ItemAct,
    ItemStatus,
    MinutesState,
    OpenSession,
    RecordQA,
    Redact,
    Redaction,
    RemoveItem,
    ReplaceClosures,
    SessionAct,
    SessionRecord,
    SessionState,
)
from tests.factories import actor

JST = dt.timezone(dt.timedelta(hours=9))
HELD = dt.datetime(2031, 2, 7, 10, 0, tzinfo=JST)  # a Friday
TODAY = HELD.date()
CLOSURES = build_closure_table(2029, 2033)
NEXT = SessionRef(
    session_id="board-2030-4", council="審議会", held_on=dt.date(2031, 3, 7), label="第4回"
)
QUORATE = ["m1", "m2", "m3", "m4", "m5", "m6"]
NOT_QUORATE = ["m1", "m2"]

# The positions a session can be in: its state and, once closed, its minutes.
POSITIONS: list[tuple[SessionState, MinutesState | None]] = [
    (SessionState.planned, None),
    (SessionState.notice_sent, None),
    (SessionState.materials_sent, None),
    (SessionState.opened, None),
    (SessionState.failed_quorum, None),
    (SessionState.closed, MinutesState.drafting),
    (SessionState.closed, MinutesState.approved),
    (SessionState.closed, MinutesState.published),
]


def council() -> Council:
    members = [{"member_id": "m1", "name": "会長", "role": "chair", "term_start": "2030-04-01"}]
    members += [
        {"member_id": f"m{n}", "name": f"委員{n}", "term_start": "2030-04-01"} for n in range(2, 11)
    ]
    return Council.model_validate(
        {"council_id": "board", "name": "審議会", "seats": 10, "members": members}
    )


def case_id(status: ItemStatus) -> str:
    return f"c-{status.value}"


def record(state: SessionState, minutes: MinutesState | None = None) -> SessionRecord:
    """A session in ``state`` with one item in every status, attendance once it has met,
    a failed document once its minutes are approved."""
    plan = SessionPlan(
        council_id="board",
        ordinal=3,
        starts_at=HELD,
        ends_at=HELD + dt.timedelta(hours=2),
        place="第1委員会室",
    )
    rec = SessionRecord(plan=plan, council=council(), state=state, minutes=minutes)
    for status in ItemStatus:
        rec.items.append(
            AgendaItem(case_id=case_id(status), title=status.value, category="consultation")
        )
        rec.items[-1].status = status
    if state in (SessionState.opened, SessionState.closed):
        rec.attendance = Attendance(present=QUORATE)
    if state is SessionState.failed_quorum:
        rec.attendance = Attendance(present=NOT_QUORATE)
    if minutes is not None:
        rec.closed_on = TODAY
        rec.minutes_due = TODAY + dt.timedelta(days=30)
    if minutes in (MinutesState.approved, MinutesState.published):
        rec.document_failures.append(
            DocumentFailure(doc_type="kaigiroku", error="template", at=HELD)
        )
    pending = rec.item(case_id(ItemStatus.answer_pending))
    assert pending is not None
    pending.parked = CaseStepParked(
        case_id=pending.case_id, trigger="issue_answer", error="template", since=HELD
    )
    from models.session.record import AnswerDraft

    pending.answer = AnswerDraft(
        number="第7号", conclusion="可", approved_by="session", issued_on=TODAY
    )
    return rec


def record_for(
    rule: SessionRule, state: SessionState, minutes: MinutesState | None
) -> SessionRecord:
    """``record(state, minutes)`` where the facts ``rule``'s guards read hold."""
    rec = record(state, minutes)
    if rule.act is Act.close_session:  # every item decided
        undecided = (ItemStatus.on_agenda, ItemStatus.deliberating)
        rec.items = [i for i in rec.items if i.status not in undecided]
    return rec


def who(act: Act, role: Role | None = None) -> dict[str, Any]:
    return {"actor": actor(role or roles_for(act)[0])}


def valid_input(act: Act, rule: SessionRule | None = None, role: Role | None = None) -> Any:
    """An input the row ``rule`` (the act's first row when None) accepts."""
    rule = rule or rules_of(act)[0]
    status = rule.item.needs[0] if rule.item and rule.item.needs else ItemStatus.on_agenda
    item = {"case_id": case_id(status)}
    a = who(act, role)
    if act is Act.add_items:
        return AddItems(**a, case_ids=["new-1", "new-2"])
    if act is Act.receive_item:
        return CarryIn(case_id="new-1", title="継続", category="consultation", from_session="x")
    if act in (
        Act.send_notice,
        Act.send_materials,
        Act.close_session,
        Act.approve_minutes,
        Act.publish_minutes,
        Act.retry_documents,
    ):
        return SessionAct(**a)
    if act is Act.open_session:
        present = NOT_QUORATE if rule.dest is SessionState.failed_quorum else QUORATE
        return OpenSession(**a, attendance=Attendance(present=present))
    if act is Act.carry_over:
        return CarryOver(**a, next_session=NEXT, reason="定足数に達しなかった")
    if act is Act.remove_item:
        return RemoveItem(**a, **item, reason="担当課の資料差替えのため")
    if act is Act.open_item:
        return ItemAct(**a, **item)
    if act is Act.record_qa:
        return RecordQA(**a, **item, qa=QA(speaker_role="委員", question="期間は", answer="5年"))
    if act is Act.decide_item:
        outcome = rule.outcomes[0] if rule.outcomes else "approve"
        extra: dict[str, Any] = {}
        if outcome == "continue":
            extra = {"next_session": NEXT, "reason": "資料の追加"}
        elif outcome == "convert":
            extra = {"reason": "諮問として審議"}
        elif outcome in ("approve", "reject"):
            extra = {"votes": {"yes": 5, "no": 1}}
        elif outcome == "approve_with_conditions":
            condition = {
                "text": "再委託禁止",
                "type": "contract_clause",
                "due": "before_contract",
                "owner": "情報政策課",
            }
            extra = {"votes": {"yes": 6}, "conditions": [condition]}
        return DecideItem(**a, **item, outcome=outcome, **extra)
    if act is Act.issue_answer:
        return IssueAnswer(**a, **item, conclusion="諮問どおり可とする。")
    if act is Act.redact:
        return Redact(**a, redaction=Redaction(passage="パスワード", legal_basis="第6条第7号"))
    if act is Act.replace_closures:
        return ReplaceClosures(**a, closures=CLOSURES)
    raise AssertionError(act)


def run(rec: SessionRecord, act: Act, inp: Any, **facts: Any) -> CheckedAct:
    """What the workflow does: check, then (after the case triggers) apply."""
    checked = check(rec, act, inp, SessionContext(today=TODAY))
    own_payload = (Act.issue_answer, Act.send_materials)
    if checked.rule.case_trigger is not None and checked.act not in own_payload:
        assert isinstance(case_payload(rec, checked, inp), dict)  # the case payload builds
    apply(rec, checked, inp, CLOSURES, **facts)
    return checked


ALLOWED = [
    (rule, source, minutes)
    for rule in RULES
    for source, minutes in POSITIONS
    if source in rule.sources and (rule.minutes is None or minutes in rule.minutes)
]


def _id(case: tuple[SessionRule, SessionState, MinutesState | None]) -> str:
    rule, source, minutes = case
    what = rule.case_trigger.value if rule.case_trigger else ("reads" if rule.reads_case else "")
    return f"{rule.act}-{what}-{source}-{minutes}-{rule.dest}"


@pytest.mark.parametrize("case", ALLOWED, ids=[_id(c) for c in ALLOWED])
def test_every_allowed_pair_applies_to_a_real_record(
    case: tuple[SessionRule, SessionState, MinutesState | None],
) -> None:
    rule, source, minutes = case
    rec = record_for(rule, source, minutes)
    before = rec.model_copy(deep=True)
    inp = valid_input(rule.act, rule)
    facts: dict[str, Any] = {"number": "第8号"} if rule.act is Act.issue_answer else {}
    checked = run(rec, rule.act, inp, **facts)  # a guard failure raises: it is not a pass
    assert checked.rule is rule
    assert rec.state is rule.dest_from(source)
    assert rec.minutes is (rule.minutes_after or minutes)
    assert rec.version == before.version + 1
    if rule.item is not None and rule.item.leaves:
        assert rec.item(inp.case_id) is None
        assert len(rec.items) == len(before.items) - 1
    elif rule.item is not None and not rule.item.each:
        item = rec.item(inp.case_id)
        assert item is not None
        assert item.status is (rule.item.after or rule.item.needs[0])
        assert item.parked is None or rule.item.after is None
    if rule.item is not None and rule.item.each and rule.act is Act.carry_over:
        on_agenda = case_id(ItemStatus.on_agenda)
        carry_item(rec, checked, on_agenda, NEXT.session_id)  # per item, after its case
        item = rec.item(on_agenda)
        assert item is not None and item.status is ItemStatus.carried_over
        assert item.next_session == NEXT.session_id
    if rule.act is Act.add_items:
        add_item(rec, "new-1", "新規", "consultation")  # per case its case accepted
        assert rec.items[-1].status is ItemStatus.on_agenda
    if rule.act is Act.receive_item:
        assert rec.item("new-1") is not None and rec.item("new-1").carried_from == "x"  # type: ignore[union-attr]


@pytest.mark.parametrize("act", list(Act))
@pytest.mark.parametrize(("state", "minutes"), POSITIONS)
def test_every_pair_the_table_refuses_is_refused_with_its_type(
    act: Act, state: SessionState, minutes: MinutesState | None
) -> None:
    rules = rules_of(act)
    if any(state in r.sources and (r.minutes is None or minutes in r.minutes) for r in rules):
        return  # allowed: driven above
    rec = record(state, minutes)
    before = rec.model_dump()
    inp = valid_input(act)
    if any(state in r.sources for r in rules):
        with pytest.raises(GuardFailed, match=f"the minutes are {minutes}"):
            check(rec, act, inp, SessionContext(today=TODAY))
    else:
        with pytest.raises(InvalidTransition, match=f"while the session is {state}"):
            check(rec, act, inp, SessionContext(today=TODAY))
    assert rec.model_dump() == before  # nothing changed


ITEM_ACTS = sorted({r.act for r in RULES if r.item is not None and not r.item.each})


@pytest.mark.parametrize("act", ITEM_ACTS)
@pytest.mark.parametrize("status", list(ItemStatus))
def test_item_acts_need_their_item_status(act: Act, status: ItemStatus) -> None:
    rules = rules_of(act)
    source = rules[0].sources[0]
    rec = record(source, MinutesState.drafting if source is SessionState.closed else None)
    inp = valid_input(act).model_copy(update={"case_id": case_id(status)})
    needs = {s for r in rules if r.item for s in r.item.needs}
    if status in needs:
        run(rec, act, inp, **({"number": "第8号"} if act is Act.issue_answer else {}))
        return
    with pytest.raises(InvalidTransition, match=f"item {case_id(status)} is {status}"):
        check(rec, act, inp, SessionContext(today=TODAY))


@pytest.mark.parametrize("act", ITEM_ACTS)
def test_item_acts_refuse_a_case_not_on_the_agenda(act: Act) -> None:
    source = rules_of(act)[0].sources[0]
    inp = valid_input(act).model_copy(update={"case_id": "elsewhere"})
    with pytest.raises(InvalidPayload, match="not on this session's agenda"):
        check(record(source), act, inp, SessionContext(today=TODAY))


@pytest.mark.parametrize("act", list(Act))
def test_every_other_role_is_refused(act: Act) -> None:
    rule = rules_of(act)[0]
    source = rule.sources[0]
    rec = record(source, rule.minutes[0] if rule.minutes else None)
    for role in Role:
        if role in rule.roles:
            continue
        inp = valid_input(act, rule, role)
        if act in ENGINE_ONLY:  # no actor travels with it: nobody but the engine sends it
            continue
        with pytest.raises(RoleNotAllowed, match=f"not {role}"):
            check(rec, act, inp, SessionContext(today=TODAY))


# ---------------------------------------------------------------- guards and branches


def test_open_session_takes_the_branch_its_attendance_decides() -> None:
    opened = record(SessionState.materials_sent)
    run(
        opened,
        Act.open_session,
        OpenSession(**who(Act.open_session), attendance={"present": QUORATE}),
    )
    assert opened.state is SessionState.opened and not opened.warnings
    failed = record(SessionState.materials_sent)
    inp = OpenSession(**who(Act.open_session), attendance=Attendance(present=NOT_QUORATE))
    run(failed, Act.open_session, inp)
    assert failed.state is SessionState.failed_quorum
    assert [w.code for w in failed.warnings] == ["failed_quorum"]


@pytest.mark.parametrize(
    ("act", "inp", "error", "words"),
    [
        (Act.add_items, {"case_ids": [case_id(ItemStatus.on_agenda)]}, InvalidPayload, "already"),
        (Act.open_session, {"attendance": {"present": ["zz"]}}, InvalidPayload, "not members"),
        (
            Act.open_session,
            {"attendance": {"present": QUORATE}, "on": TODAY - dt.timedelta(days=1)},
            GuardFailed,
            "held on",
        ),
        (Act.send_notice, {"on": TODAY + dt.timedelta(days=1)}, InvalidPayload, "future"),
        (
            Act.decide_item,
            {
                "case_id": case_id(ItemStatus.deliberating),
                "outcome": "approve",
                "votes": {"yes": 9},
            },
            GuardFailed,
            "exceed members present",
        ),
        (
            Act.decide_item,
            {
                "case_id": case_id(ItemStatus.deliberating),
                "outcome": "approve_with_conditions",
                "votes": {"yes": 5},
            },
            GuardFailed,
            "at least one condition",
        ),
        (
            Act.carry_over,
            {"next_session": NEXT.model_copy(update={"held_on": TODAY}), "reason": "x"},
            GuardFailed,
            "",
        ),
    ],
)
def test_guards_refuse_with_their_type(
    act: Act, inp: dict[str, Any], error: type[Exception], words: str
) -> None:
    state = {
        Act.add_items: SessionState.planned,
        Act.open_session: SessionState.materials_sent,
        Act.send_notice: SessionState.planned,
        Act.decide_item: SessionState.opened,
        Act.carry_over: SessionState.failed_quorum,
    }[act]
    model = type(valid_input(act))
    rec = record(state)
    data = {**who(act), **inp}
    if act is Act.carry_over:  # the next session may be held the same day: allowed
        run(rec, act, model(**data))
        return
    with pytest.raises(error, match=words):
        check(rec, act, model(**data), SessionContext(today=TODAY))


def test_the_agenda_must_not_be_empty_for_materials() -> None:
    rec = record(SessionState.notice_sent)
    rec.items = []
    with pytest.raises(GuardFailed, match="agenda is empty"):
        check(rec, Act.send_materials, valid_input(Act.send_materials), SessionContext(TODAY))


def test_close_needs_every_item_decided() -> None:
    with pytest.raises(GuardFailed, match="items not yet decided"):
        check(
            record(SessionState.opened),
            Act.close_session,
            valid_input(Act.close_session),
            SessionContext(TODAY),
        )


def test_a_next_session_before_this_one_is_refused() -> None:
    early = NEXT.model_copy(update={"held_on": TODAY - dt.timedelta(days=1)})
    inp = CarryOver(**who(Act.carry_over), next_session=early, reason="x")
    with pytest.raises(InvalidPayload, match="next_session"):
        check(record(SessionState.failed_quorum), Act.carry_over, inp, SessionContext(TODAY))


def test_closures_must_cover_the_session_and_failures_must_exist() -> None:
    short = build_closure_table(2020, 2021)
    inp = ReplaceClosures(**who(Act.replace_closures), closures=short)
    with pytest.raises(InvalidPayload, match="does not cover"):
        check(record(SessionState.planned), Act.replace_closures, inp, SessionContext(TODAY))
    clean = record(SessionState.closed, MinutesState.published)
    clean.document_failures = []
    with pytest.raises(GuardFailed, match="no failed document"):
        check(clean, Act.retry_documents, valid_input(Act.retry_documents), SessionContext(TODAY))


# ---------------------------------------------------------------- the parked answer


def test_a_parked_answer_waits_then_completes_with_its_number() -> None:
    rec = record(SessionState.closed, MinutesState.drafting)
    decided = case_id(ItemStatus.decided)
    parked = CaseStepParked(case_id=decided, trigger="issue_answer", error="template", since=HELD)
    inp = IssueAnswer(**who(Act.issue_answer), case_id=decided, conclusion="可とする。")
    first = run(rec, Act.issue_answer, inp, number="第9号", parked=parked)
    item = rec.item(decided)
    assert item is not None and first.rule.case_trigger is Trigger.issue_answer
    assert item.status is ItemStatus.answer_pending and item.parked == parked
    assert item.answer is not None and item.answer.number == "第9号"
    again = run(rec, Act.issue_answer, inp)  # the workflow confirmed the case first
    assert again.rule.reads_case and again.rule.case_trigger is None
    assert item.status is ItemStatus.answered and item.parked is None
    assert item.answer.number == "第9号"
    with pytest.raises(InvalidTransition, match="is answered"):
        check(rec, Act.issue_answer, inp, SessionContext(TODAY))


def test_a_parked_step_after_another_item_act_is_shown_until_the_case_answers_again() -> None:
    rec = record(SessionState.opened)
    deliberating = case_id(ItemStatus.deliberating)
    parked = CaseStepParked(
        case_id=deliberating, trigger="decide", error="database is locked", since=HELD
    )
    decide = DecideItem(
        **who(Act.decide_item), case_id=deliberating, outcome="approve", votes={"yes": 6}
    )
    run(rec, Act.decide_item, decide, parked=parked)
    item = rec.item(deliberating)
    assert item is not None and item.status is ItemStatus.decided and item.parked == parked
    answer = IssueAnswer(**who(Act.issue_answer), case_id=deliberating, conclusion="可とする。")
    run(rec, Act.issue_answer, answer, number="第10号")  # the case ran every step this time
    assert item.status is ItemStatus.answered and item.parked is None


# ---------------------------------------------------------------- derived views


@pytest.mark.parametrize(("state", "minutes"), POSITIONS)
@pytest.mark.parametrize("role", [None, *Role])
def test_allowed_actions_are_the_acts_check_lets_through(
    state: SessionState, minutes: MinutesState | None, role: Role | None
) -> None:
    listed = {a.act for a in allowed_actions(state, role, minutes=minutes)}
    for act in Act:
        rules = [
            r
            for r in rules_of(act)
            if state in r.sources and (r.minutes is None or minutes in r.minutes)
        ]
        expected = bool(rules) and act not in ENGINE_ONLY
        if role is not None:
            expected = expected and role in rules_of(act)[0].roles
        assert (act.value in listed) is expected, act
        if act.value in listed and role is not None:
            rec = record_for(rules[0], state, minutes)
            check(rec, act, valid_input(act, rules[0], role), SessionContext(TODAY))


def test_open_session_lists_both_destinations() -> None:
    [opening] = [a for a in allowed_actions(SessionState.materials_sent) if a.act == "open_session"]
    assert opening.dest == [SessionState.opened, SessionState.failed_quorum]
    assert opening.roles == [Role.secretariat, Role.chair]


def test_the_cli_acts_as_the_first_role_of_each_act() -> None:
    """The role each person's client acts as; edge.sessions reads it from this table."""
    cli = {
        "add_items": Role.secretariat,
        "remove_item": Role.secretariat,
        "send_notice": Role.secretariat,
        "send_materials": Role.secretariat,
        "open_session": Role.secretariat,
        "carry_over": Role.secretariat,
        "open_item": Role.chair,
        "record_qa": Role.secretariat,
        "decide_item": Role.council,
        "issue_answer": Role.chair,
        "close_session": Role.secretariat,
        "redact": Role.secretariat,
        "approve_minutes": Role.chair,
        "publish_minutes": Role.secretariat,
        "retry_documents": Role.secretariat,
    }
    assert {act: roles_for(act)[0] for act in cli} == cli
    assert {Act.receive_item} == ENGINE_ONLY


def test_the_session_acts_on_its_cases_as_the_case_table_says() -> None:
    fired = {r.case_trigger for r in RULES if r.case_trigger is not None}
    assert {t: case_role(t) for t in fired} == {
        Trigger.schedule: Role.secretariat,
        Trigger.send_materials: Role.secretariat,
        Trigger.reschedule: Role.secretariat,
        Trigger.unschedule: Role.secretariat,
        Trigger.open_deliberation: Role.chair,
        Trigger.decide: Role.council,
        Trigger.continue_deliberation: Role.council,
        Trigger.note_report: Role.council,
        Trigger.convert_to_consultation: Role.council,
        Trigger.issue_answer: Role.chair,
    }
    assert all(case_role(t) in case_roles_for(t) for t in fired)


def test_rows_of_one_act_share_their_roles_and_every_act_has_a_row() -> None:
    assert {r.act for r in RULES} == set(Act)
    for act in Act:
        assert len({r.roles for r in rules_of(act)}) == 1, act


def test_every_state_is_reachable_from_planned() -> None:
    seen = {SessionState.planned}
    changed = True
    while changed:
        changed = False
        for rule in RULES:
            if rule.dest is not None and seen & set(rule.sources) and rule.dest not in seen:
                seen.add(rule.dest)
                changed = True
    assert seen == set(SessionState)


def test_add_items_names_the_case_ids_already_on_the_agenda_or_listed_twice() -> None:
    """The refusal named none of them when a case id was only listed twice (``[]``)."""
    rec = record(SessionState.planned)
    on_agenda = case_id(ItemStatus.on_agenda)
    inp = AddItems(**who(Act.add_items), case_ids=["cafe01", "cafe01", on_agenda])
    with pytest.raises(InvalidPayload) as refused:
        check(rec, Act.add_items, inp, SessionContext(TODAY))
    assert str(refused.value) == (
        f"case_ids: already on the agenda or listed twice: ['cafe01', '{on_agenda}']"
    )
