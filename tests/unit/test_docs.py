"""docs/lifecycle.md is generated from RULES and must not drift from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from docs import generate
from docs.generate import LIFECYCLE_MD, render_lifecycle
from models.case.lifecycle import RULES, TERMINAL
from models.case.states import CaseState, Trigger
from models.labels import STATE_LABELS, TRIGGER_LABELS

RENDERED = render_lifecycle()


def diagram() -> str:
    match = re.search(r"```mermaid\n(.*?)```", RENDERED, re.S)
    assert match is not None, "no mermaid block in the rendered lifecycle"
    return match.group(1)


def test_lifecycle_md_is_up_to_date() -> None:
    current = LIFECYCLE_MD.read_text(encoding="utf-8") if LIFECYCLE_MD.exists() else ""
    assert current == RENDERED, "docs/lifecycle.md is stale: run `python docs/generate.py`"


def test_rendering_is_deterministic() -> None:
    assert render_lifecycle() == RENDERED


def test_diagram_is_a_state_diagram_starting_at_draft() -> None:
    lines = diagram().splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert "    [*] --> draft" in lines


@pytest.mark.parametrize("state", list(CaseState))
def test_every_state_is_declared_with_its_label(state: CaseState) -> None:
    assert f'    state "{state} {STATE_LABELS[state]}" as {state}\n' in diagram()


@pytest.mark.parametrize("state", list(CaseState))
def test_terminal_states_end_the_diagram(state: CaseState) -> None:
    assert (f"    {state} --> [*]\n" in diagram()) is (state in TERMINAL)


@pytest.mark.parametrize("trigger", list(Trigger))
def test_every_trigger_labels_an_arrow(trigger: Trigger) -> None:
    assert re.search(rf"^    \w+ --> \w+ : {trigger} \[", diagram(), re.M)
    assert f"| `{trigger}`" in RENDERED and f"| {TRIGGER_LABELS[trigger]} |" in RENDERED


def test_one_arrow_per_rule_and_source() -> None:
    arrows = re.findall(r"^    (\w+) --> (\w+) : (\w+) \[([\w, ]+)\]", diagram(), re.M)
    expected = [
        (source.value, rule.dest.value, rule.trigger.value, ", ".join(rule.roles))
        for rule in RULES
        for source in rule.sources
    ]
    assert arrows == expected


def test_rule_table_lists_guards_by_their_name_in_guards_py() -> None:
    assert "| `conditions_pending` | engine (システム) | `outcome_is_conditional` |" in RENDERED
    assert "| `triage` | `precheck` | secretariat (事務局) | `consultation_warranted` |" in RENDERED


def test_check_fails_on_a_stale_file_and_passes_after_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "lifecycle.md"
    monkeypatch.setattr(generate, "LIFECYCLE_MD", target)
    assert generate.main(["--check"]) == 1  # missing
    target.write_text("old\n", encoding="utf-8")
    assert generate.main(["--check"]) == 1
    assert "run `python docs/generate.py`" in capsys.readouterr().err
    assert generate.main([]) == 0
    assert target.read_text(encoding="utf-8") == RENDERED
    assert generate.main(["--check"]) == 0
