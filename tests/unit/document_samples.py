"""The public sample cases (scenarios/s*.yaml) as document sources, without a server: each
case's 諮問書 and the decision, answer and verifications its steps record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from edge.scenarios import load_scenario
from models.calendar.jcalendar import DateStyle
from models.case.document import ConsultationDocument
from models.case.payloads import DecidePayload, SessionRef, Verification
from models.case.record import Actor, Answer, Decision, TransitionRecord
from models.case.states import CaseState, Role, Trigger
from models.documents.spec import CaseSource, DocumentSettings, DocumentStyle, document_style
from tests.conftest import ROOT

FUJISAWA = document_style(
    "藤沢市",
    DocumentSettings(
        addressee="藤沢市長",
        addressee_name="鈴木 恒夫",
        council_name="藤沢市個人情報保護制度運営審議会",
    ),
    DateStyle.seireki_wareki,
)
AT = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def sample_cases(stem: str) -> dict[str, CaseSource]:
    """Every case of scenario ``stem`` (e.g. s02_fujisawa_870) after all its steps."""
    scenario = load_scenario(ROOT / "scenarios" / f"{stem}.yaml")
    out: dict[str, CaseSource] = {}
    for alias, spec in scenario.cases.items():
        assert spec.document is not None
        data = dict(spec.document)
        if isinstance(data.get("parent_case"), str) and data["parent_case"].startswith("@"):
            data["parent_case"] = f"case-{data['parent_case'][1:]}"
        doc = ConsultationDocument.model_validate(data)
        on = spec.created_on if isinstance(spec.created_on, dt.date) else doc.filed_on
        assert on is not None
        history = [
            TransitionRecord(
                seq=0,
                trigger=None,
                source=None,
                dest=CaseState.draft,
                actor=spec.created_by,
                at=AT,
                on=on,
            )
        ]
        fields: dict[str, Any] = {"verified": []}
        single = len(scenario.cases) == 1
        for step in scenario.steps:
            if step.trigger is None or (step.case or (alias if single else None)) != alias:
                continue
            when = step.on if isinstance(step.on, dt.date) else history[-1].on
            actor = Actor(role=step.as_, name=step.actor or step.as_.value)
            trigger = Trigger(step.trigger)
            history.append(
                TransitionRecord(
                    seq=len(history),
                    trigger=trigger,
                    source=None,
                    dest=step.expect or CaseState.draft,
                    actor=actor,
                    at=AT,
                    on=when,
                )
            )
            if trigger is Trigger.schedule:
                fields["session"] = SessionRef.model_validate(step.payload["session"])
            if trigger is Trigger.decide:
                payload = DecidePayload.model_validate(step.payload)
                fields["decision"] = Decision(**payload.model_dump(), decided_on=when)
            if trigger is Trigger.issue_answer:
                fields["answer"] = Answer(
                    number=step.payload["number"],
                    issued_on=when,
                    approved_by=step.payload.get("approved_by", "session"),
                    conclusion=step.payload.get("conclusion"),
                )
            if trigger is Trigger.conditions_fulfilled:
                fields["verified"] += [
                    Verification.model_validate(v) for v in step.payload["verified"]
                ]
        out[alias] = CaseSource(
            case_id=f"case-{alias}",
            external_ref=spec.external_ref,
            seq=history[-1].seq,
            state=history[-1].dest,
            category=doc.category,
            document=doc,
            history=history,
            **fields,
        )
    return out


def style(name: str = "とうしん市") -> DocumentStyle:
    return document_style(name, DocumentSettings(), DateStyle.wareki)


__all__ = ["FUJISAWA", "Role", "sample_cases", "style"]
