"""Small builders of valid inputs, shared by unit and integration tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from models.accounts import UserRole, UserView
from models.case.document import ConsultationDocument
from models.case.record import ActInput, Actor, TransitionRecord
from models.case.states import CaseState, Role


def document(**overrides: Any) -> ConsultationDocument:
    data: dict[str, Any] = {
        "kind": "external_linkage",
        "category": "consultation",
        "title": "集団検診WEB予約受付システムの導入に伴う外部結合",
        "department": "保健センター",
        "affair": {"name": "集団検診", "purpose": "検診予約の利便性向上"},
        "record_items": ["氏名", "生年月日", "電話番号"],
        "counterparty": "予約システム事業者",
        "reason": "24時間予約を受け付けるため",
        "linkage_form": "インターネット (TLS)",
        "planned_start": {"year": 2031, "month": 4, "jun": "early"},
        "operational_measures": [{"text": "契約に守秘義務を定める", "criterion": "e"}],
        "system_measures": [{"text": "通信を暗号化する", "criterion": "c"}],
    }
    data.update(overrides)
    return ConsultationDocument.model_validate(data)


TEST_DEPARTMENT = "保健センター"  # the department of ``document()``

TEST_ADMIN = UserView(
    username="test-admin",
    display_name="運用管理者",
    roles=[UserRole.admin],
    department=None,
    disabled=False,
    locked=False,
)


def actor(role: Role | str, name: str = "担当者", department: str = TEST_DEPARTMENT) -> Actor:
    """A signed-in account's actor holding ``role`` only (and ``department`` when it acts
    for one), as the edge builds it (``edge.identity``)."""
    role = Role(role)
    return Actor(
        role=role,
        name=name,
        username="tester",
        holds=(role,),
        department=department if role is Role.department else None,
    )


def act(
    trigger: str,
    role: Role | str,
    payload: dict[str, Any] | None = None,
    on: dt.date | None = None,
) -> ActInput:
    return ActInput(trigger=trigger, actor=actor(role), payload=payload or {}, on=on)


def creation(on: dt.date, at: dt.datetime | None = None) -> TransitionRecord:
    """The seq-0 record every case starts with (created in draft by the department)."""
    return TransitionRecord(
        seq=0,
        trigger=None,
        source=None,
        dest=CaseState.draft,
        actor=actor(Role.department),
        at=at or dt.datetime.combine(on, dt.time(9), tzinfo=dt.timezone(dt.timedelta(hours=9))),
        on=on,
    )
