"""The desk's case timeline (web/routes/cases.timeline): acts newest first, a reset the case
met between the acts it kept and the ones after it; acts of the same instant (an act and its
automatic follow-up) keep their newest-first order."""

from __future__ import annotations

import datetime as dt

from models.calendar.wareki import DateStyle
from models.case.record import ResetMark, TransitionRecord
from models.case.states import CaseState, Role, Trigger
from models.labels import STATE_LABELS
from tests.factories import actor, creation
from tests.unit.test_desk_dept_routes import snapshot
from web.routes.cases import timeline

T0 = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)


def record(seq: int, trigger: Trigger, dest: CaseState, at: dt.datetime) -> TransitionRecord:
    return TransitionRecord(
        seq=seq,
        trigger=trigger,
        source=None,
        dest=dest,
        actor=actor(Role.secretariat),
        at=at,
        on=at.date(),
    )


def test_a_reset_sits_between_the_acts_it_kept_and_those_after_it() -> None:
    history = [
        creation(dt.date(2026, 12, 1), T0),
        record(1, Trigger.submit, CaseState.triage, T0 + dt.timedelta(minutes=1)),
        record(2, Trigger.require_consultation, CaseState.precheck, T0 + dt.timedelta(hours=2)),
        record(3, Trigger.pass_precheck, CaseState.ready, T0 + dt.timedelta(hours=2)),
    ]
    mark = ResetMark(seq=1, state=CaseState.triage, at=T0 + dt.timedelta(hours=1), rows_repaired=2)
    snap = snapshot("c1", "保健センター").model_copy(update={"history": history, "resets": [mark]})
    entries = timeline(snap, DateStyle.seireki)
    # the two acts of the same instant: the later seq first, as before resets were shown
    states = [CaseState.ready, CaseState.precheck, CaseState.triage, CaseState.triage]
    assert [e["dest"] for e in entries] == [STATE_LABELS[s] for s in [*states, CaseState.draft]]
    reset = entries[2]
    assert reset["what"] == "リセット(遷移 1 の後へ戻る)"
    assert reset["who"] == "エンジンが検知"
    assert reset["reason"] == "11:00:00にリセットされました。一覧の2行を修復"  # JST
