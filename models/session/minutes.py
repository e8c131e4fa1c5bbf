"""The minutes (会議録) of a session, built from what the session recorded — with the fields of
the Higashimurayama / Niiza minutes — and their public version, where every redacted passage
is replaced by its legal basis."""

from __future__ import annotations

from pydantic import Field

from models.calendar.jcalendar import (
    DateStyle,
    FiscalEraRule,
    format_date,
    format_datetime_range,
    format_fiscal_year,
    format_weekday,
)
from models.case.document import Strict
from models.session.council import ClosedReason, MemberRole, Openness
from models.session.record import ItemOutcome, SessionRecord

ROLE_TITLES = {
    MemberRole.chair: "会長",
    MemberRole.vice_chair: "会長職務代理",
    MemberRole.member: "委員",
    MemberRole.expert: "専門委員",
}
OPENNESS = {Openness.open: "公開", Openness.partly_closed: "一部公開", Openness.closed: "非公開"}
CLOSED_REASONS = {
    ClosedReason.law: "法令の規定により非公開とされているため",
    ClosedReason.nondisclosure: "情報公開条例に規定する非公開情報が含まれる事項を審議するため",
    ClosedReason.proceedings: "公開することにより公正かつ円滑な議事運営に支障が生じるため",
}
CONCLUSIONS = {
    ItemOutcome.approve: "諮問どおり行うことを「可」とする。",
    ItemOutcome.approve_with_conditions: "条件を付して「可」とする。",
    ItemOutcome.reject: "諮問の内容を「否」とする。",
    ItemOutcome.continue_: "継続審議とする。",
    ItemOutcome.noted: "報告を了承する。",
    ItemOutcome.convert: "諮問事項として改めて審議する。",
}


class MinutesItem(Strict):
    title: str
    qa: list[tuple[str, str]]  # (speaker, text) in order
    conclusion: str | None
    conditions: list[str] = Field(default_factory=list)
    opinions: list[str] = Field(default_factory=list)
    action_items: list[str] = Field(default_factory=list)
    answer: str | None = None  # 答申第N号（date）, once the council answered


class Minutes(Strict):
    name: str  # 会議の名称
    held: str  # 開催日時
    place: str
    attendees: list[str]
    absentees: list[str]
    staff: list[str]
    explainers: list[str]
    openness: str  # 傍聴の可否 / 公開・非公開の別
    closed_reason: str | None
    observers: int
    agenda: list[str]
    items: list[MinutesItem]
    redactions: list[tuple[str, str]]  # (passage, legal basis)
    public: bool


def _redact(text: str, redactions: list[tuple[str, str]]) -> str:
    for passage, basis in redactions:
        text = text.replace(passage, f"（{basis}に該当する情報のため記載しない）")
    return text


def build_minutes(
    record: SessionRecord,
    *,
    style: DateStyle = DateStyle.wareki,
    fiscal_rule: FiscalEraRule = FiscalEraRule.year_end,
    public: bool = False,
) -> Minutes:
    """The minutes of ``record``; ``public=True`` replaces every redacted passage."""
    plan, council = record.plan, record.council
    present = set(record.attendance.present) if record.attendance else set()
    fy = format_fiscal_year(plan.fiscal_year, style, rule=fiscal_rule)
    held = (
        f"{format_date(plan.held_on, style)}{format_weekday(plan.held_on)}"
        f"{format_datetime_range(plan.starts_at, plan.ends_at)}"
    )
    redactions = [(r.passage, r.legal_basis) for r in record.redactions]

    def shown(text: str) -> str:
        return _redact(text, redactions) if public else text

    items = []
    for item in record.items:
        qa: list[tuple[str, str]] = []
        for entry in item.qa:
            who = entry.speaker_role + (f"（{entry.speaker}）" if entry.speaker else "")
            qa.append((who, shown(entry.question)))
            if entry.answer:
                qa.append(("回答", shown(entry.answer)))
        items.append(
            MinutesItem(
                title=item.title,
                qa=qa,
                conclusion=CONCLUSIONS[item.outcome] if item.outcome else None,
                conditions=[shown(c.text) for c in item.conditions],
                opinions=[shown(o.text) for o in item.opinions],
                action_items=[shown(a.text) for a in item.action_items],
                answer=(
                    f"答申{item.answer.number}（{format_date(item.answer.issued_on, style)}）"
                    if item.answer
                    else None
                ),
            )
        )
    return Minutes(
        name=f"{fy}第{plan.ordinal}回{council.name}",
        held=held,
        place=plan.place,
        attendees=[
            f"{m.name}{ROLE_TITLES[m.role]}" for m in council.members if m.member_id in present
        ],
        absentees=[
            f"{m.name}{ROLE_TITLES[m.role]}"
            for m in council.members
            if m.member_id not in present and m.serves_on(plan.held_on)
        ],
        staff=record.attendance.staff if record.attendance else [],
        explainers=record.attendance.explainers if record.attendance else [],
        openness=OPENNESS[plan.openness],
        closed_reason=(
            plan.closed_reason_text or CLOSED_REASONS[plan.closed_reason]
            if plan.closed_reason
            else None
        ),
        observers=record.attendance.observers if record.attendance else 0,
        agenda=[item.title for item in record.items],
        items=items,
        redactions=redactions if not public else [("", basis) for _, basis in redactions],
        public=public,
    )
