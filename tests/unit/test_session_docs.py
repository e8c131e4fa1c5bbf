"""docs/session_lifecycle.md is generated from the session table and must not drift from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from docs import generate
from docs.generate import SESSION_LIFECYCLE_MD, render_session_lifecycle
from models.labels import ITEM_STATUS_LABELS as ITEM_LABELS
from models.labels import SESSION_ACT_LABELS as ACT_LABELS
from models.labels import SESSION_STATE_LABELS as STATE_LABELS
from models.session.lifecycle import RULES, Act
from models.session.record import ItemStatus, SessionState

RENDERED = render_session_lifecycle()


def diagrams() -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", RENDERED, re.S)


def test_session_lifecycle_md_is_up_to_date() -> None:
    current = SESSION_LIFECYCLE_MD.read_text(encoding="utf-8")
    assert current == RENDERED, "docs/session_lifecycle.md is stale: run `python docs/generate.py`"


def test_session_states_and_item_statuses_are_declared_with_their_labels() -> None:
    sessions, items = diagrams()
    assert sessions.splitlines()[0] == "stateDiagram-v2"
    for state in SessionState:
        assert f'    state "{state} {STATE_LABELS[state]}" as {state}\n' in sessions
    for status in ItemStatus:
        assert f'    state "{status} {ITEM_LABELS[status]}" as {status}\n' in items
    assert (
        "    decided --> answer_pending : issue_answer fires issue_answer (case step parked)"
        in items
    )
    assert "    answer_pending --> answered : issue_answer (case step done)" in items


def test_one_arrow_per_rule_and_source() -> None:
    sessions = diagrams()[0]
    arrows = re.findall(r"^    (\w+) --> (\w+) : (\w+) \[([\w, ]+)\]", sessions, re.M)
    expected = [
        (source.value, rule.dest_from(source).value, rule.act.value, ", ".join(rule.roles))
        for rule in RULES
        if rule.act is not Act.replace_closures
        for source in rule.sources
    ]
    assert arrows == expected


@pytest.mark.parametrize("act", list(Act))
def test_every_act_has_a_row_with_its_label(act: Act) -> None:
    assert f"| `{act}` | {ACT_LABELS[act]} |" in RENDERED


def test_check_fails_on_a_stale_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "session_lifecycle.md"
    monkeypatch.setattr(generate, "SESSION_LIFECYCLE_MD", target)
    monkeypatch.setattr(generate, "LIFECYCLE_MD", tmp_path / "lifecycle.md")
    assert generate.main(["--check"]) == 1
    assert "session_lifecycle.md is stale" in capsys.readouterr().err
    assert generate.main([]) == 0
    assert target.read_text(encoding="utf-8") == RENDERED
    assert generate.main(["--check"]) == 0


def test_one_label_for_every_session_state_item_status_and_act() -> None:
    """models.labels is the one label table: nothing in the session model goes unlabelled."""
    assert set(STATE_LABELS) == set(SessionState)
    assert set(ITEM_LABELS) == set(ItemStatus)
    assert set(ACT_LABELS) == {a.value for a in Act}
