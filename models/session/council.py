"""A council (審議会 / 部会): its members, quorum and vote rules, numbering and lead times;
and the plan of one of its sessions (第N回). DOMAIN.md 2.3–2.5."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from models.calendar.jcalendar import fiscal_year
from models.case.document import Strict


class MemberRole(StrEnum):
    chair = "chair"  # 会長 / 部会長
    vice_chair = "vice_chair"  # 会長職務代理
    member = "member"  # 委員
    expert = "expert"  # 専門委員


class Member(Strict):
    member_id: str = Field(pattern=r"^[a-z0-9_-]{1,32}$")  # opaque; names stay out of ids
    name: str = Field(min_length=1, max_length=100)
    role: MemberRole = MemberRole.member
    expertise: list[str] = Field(default_factory=list)
    term_start: dt.date
    term_end: dt.date | None = None

    def serves_on(self, day: dt.date) -> bool:
        return self.term_start <= day and (self.term_end is None or day <= self.term_end)


class QuorumRule(StrEnum):
    majority_of_seats = "majority_of_seats"  # 委員の過半数が出席しなければ開くことができない
    half_of_seats = "half_of_seats"  # 委員の半数以上


class Numbering(StrEnum):
    cumulative = "cumulative"  # 第870号, counting on across years
    per_fiscal_year = "per_fiscal_year"  # 第5号 in 平成22年度


class Council(Strict):
    council_id: str = Field(pattern=r"^[a-z0-9_-]{1,32}$")
    name: str = Field(min_length=1)  # e.g. 藤沢市個人情報保護制度運営審議会
    seats: int = Field(ge=1, le=100)
    members: list[Member] = Field(min_length=1)
    quorum: QuorumRule = QuorumRule.majority_of_seats
    chair_breaks_ties: bool = True  # 可否同数のときは会長の決するところによる
    numbering: Numbering = Numbering.per_fiscal_year
    first_number: int = Field(default=1, ge=1)  # where cumulative numbering starts
    notice_lead_business_days: int = Field(default=10, ge=0)
    materials_lead_business_days: int = Field(default=5, ge=0)
    minutes_due_days: int = Field(default=30, ge=1)  # publication of the 会議録

    @model_validator(mode="after")
    def _roster(self) -> Self:
        ids = [m.member_id for m in self.members]
        if len(ids) != len(set(ids)):
            raise ValueError("members: member_id must be unique")
        if sum(m.role is MemberRole.chair for m in self.members) != 1:
            raise ValueError("members: exactly one chair (会長) is required")
        voting = [m for m in self.members if m.role is not MemberRole.expert]
        if len(voting) > self.seats:
            raise ValueError(f"members: {len(voting)} members for {self.seats} seats")
        return self

    @property
    def chair(self) -> Member:
        """The 会長 (the roster has exactly one): who signs the council's answers."""
        return next(m for m in self.members if m.role is MemberRole.chair)

    def member(self, member_id: str) -> Member | None:
        return next((m for m in self.members if m.member_id == member_id), None)

    def voting_present(self, present: list[str]) -> int:
        """Members holding a seat among those present; 専門委員 attend but do not count."""
        return sum(
            1 for m in self.members if m.member_id in present and m.role is not MemberRole.expert
        )

    def quorate(self, present: int) -> bool:
        if self.quorum is QuorumRule.half_of_seats:
            return present * 2 >= self.seats
        return present * 2 > self.seats


class Openness(StrEnum):
    open = "open"  # 公開
    partly_closed = "partly_closed"  # 一部公開
    closed = "closed"  # 非公開


class ClosedReason(StrEnum):
    law = "law"  # 法令により非公開
    nondisclosure = "nondisclosure"  # 情報公開条例の非開示情報を審議する
    proceedings = "proceedings"  # 公正・円滑な議事運営に支障


class SessionPlan(Strict):
    council_id: str
    ordinal: int = Field(ge=1)  # 第N回 within the fiscal year
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str = Field(min_length=1)
    openness: Openness = Openness.open
    closed_reason: ClosedReason | None = None
    closed_reason_text: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at/ends_at need a time zone (e.g. +09:00)")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.openness is not Openness.open and self.closed_reason is None:
            raise ValueError("closed_reason is required for a closed or partly closed session")
        return self

    @property
    def held_on(self) -> dt.date:
        return self.starts_at.astimezone(dt.timezone(dt.timedelta(hours=9))).date()

    @property
    def fiscal_year(self) -> int:
        return fiscal_year(self.held_on)

    @property
    def session_id(self) -> str:
        return f"{self.council_id}-{self.fiscal_year}-{self.ordinal}"
