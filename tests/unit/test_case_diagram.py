"""The lifecycle as the desk draws it comes from THE table: every state once, in the order a
case meets them, and every arrow a rule of the table."""

from __future__ import annotations

from models.case.diagram import arrows, arrows_from, ends, stages
from models.case.lifecycle import RULES, TERMINAL
from models.case.states import CaseState


def test_every_state_is_drawn_once_the_ends_apart() -> None:
    drawn = stages() + ends()
    assert sorted(drawn) == sorted(CaseState) and len(drawn) == len(set(drawn))
    assert set(ends()) == TERMINAL
    assert stages()[0] is CaseState.draft


def test_the_stages_follow_the_way_a_case_goes() -> None:
    order = stages()
    path = [
        CaseState.draft,
        CaseState.triage,
        CaseState.precheck,
        CaseState.ready,
        CaseState.scheduled,
        CaseState.materials_sent,
        CaseState.deliberating,
        CaseState.answer_drafting,
        CaseState.answered,
        CaseState.active,
    ]
    assert [s for s in order if s in path] == path


def test_the_arrows_are_the_tables_rules() -> None:
    assert len(arrows()) == sum(len(rule.sources) for rule in RULES)
    out_of_draft = {(a.rule.trigger.value, a.dest) for a in arrows_from(CaseState.draft)}
    assert ("submit", CaseState.triage) in out_of_draft
    assert ("withdraw", CaseState.withdrawn) in out_of_draft
    assert all(a.source is CaseState.draft for a in arrows_from(CaseState.draft))
