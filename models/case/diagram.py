"""The lifecycle as a graph, read off THE table (``models.case.lifecycle.RULES``): the arrows
the docs diagram draws, and the order of the states along the way a case goes, which the desk
shows with the case's current state lit."""

from __future__ import annotations

from dataclasses import dataclass

from models.case.lifecycle import RULES, TERMINAL, Rule
from models.case.states import CaseState


@dataclass(frozen=True)
class Arrow:
    source: CaseState
    dest: CaseState
    rule: Rule


def arrows() -> list[Arrow]:
    """One arrow per rule and source state, in the table's order."""
    return [Arrow(source, rule.dest, rule) for rule in RULES for source in rule.sources]


def arrows_from(state: CaseState) -> list[Arrow]:
    return [a for a in arrows() if a.source is state]


def state_order() -> list[CaseState]:
    """Every state, breadth first from ``draft`` along the table's arrows: the order in which
    a case meets them (states no arrow reaches come last)."""
    seen = [CaseState.draft]
    for state in seen:
        for arrow in arrows_from(state):
            if arrow.dest not in seen:
                seen.append(arrow.dest)
    return seen + [s for s in CaseState if s not in seen]


def stages() -> list[CaseState]:
    """The states a case passes through, in order (the ends excluded)."""
    return [s for s in state_order() if s not in TERMINAL]


def ends() -> list[CaseState]:
    """The states a case ends in, in the order a case can first reach them."""
    return [s for s in state_order() if s in TERMINAL]
