"""The consultation document (諮問書 with its 別紙), as a department files it.

Field list from DOMAIN.md 1.1 (the Shinjuku sheet), plus the facts members asked for in the
Higashimurayama and Niiza minutes (vendor profile, data handling, work place, selection).
A draft may be incomplete; ``missing_fields`` says what ``submit`` still needs.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from models.calendar.jcalendar import Jun, jun_range
from models.limits import (
    DOCUMENT_BYTES,
    MAX_LIST_ITEMS,
    CalendarDate,
    Line,
    LineOrEmpty,
    LongText,
    TextOrEmpty,
    in_calendar,
    one_line,
    within_budget,
)

Title = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(one_line)]
Department = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(one_line)]
CaseRef = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(one_line)]


class Strict(BaseModel):
    """Base for every input model: unknown fields are errors, never silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseKind(StrEnum):
    external_linkage = "external_linkage"  # 外部結合
    outsourcing = "outsourcing"  # 委託
    computer_processing = "computer_processing"  # 電算処理
    external_provision = "external_provision"  # 目的外利用・外部提供
    indirect_collection = "indirect_collection"  # 本人外収集
    record_items = "record_items"  # 記録項目の設定・個人情報取扱事務の届出
    pia_review = "pia_review"  # 特定個人情報保護評価 第三者点検
    system_review = "system_review"  # 制度運営


class Category(StrEnum):
    consultation = "consultation"  # 諮問
    report = "report"  # 報告


class Scope(StrEnum):
    individual = "individual"
    comprehensive = "comprehensive"  # 包括諮問


class Criterion(StrEnum):
    """The council's fixed criteria for safety measures (Fujisawa answer, 判断理由 a–f)."""

    a = "a"  # 必要最小限の担当者以外の者がアクセスできないようにするための措置
    b = "b"  # ネットワークへの不正アクセスを防止するための措置
    c = "c"  # ネットワークを通じた情報漏えいを防止するための措置
    d = "d"  # 実施機関の安全対策を確認できるようにするための措置 / データを確実に消去する措置
    e = "e"  # その他受託者の安全対策を高めるための措置
    f = "f"  # 日常的な安全対策


class PlannedStart(Strict):
    """A start date, either exact or to a 旬 (上旬/中旬/下旬) as the Shinjuku sheet writes it."""

    year: int = Field(ge=1868, le=2200)
    month: int = Field(ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)
    jun: Jun | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_date(cls, value: Any) -> Any:
        if isinstance(value, dt.date):
            return {"year": value.year, "month": value.month, "day": value.day}
        if isinstance(value, str):
            try:
                exact = dt.date.fromisoformat(value)
            except ValueError:
                return value
            return {"year": exact.year, "month": exact.month, "day": exact.day}
        return value

    @model_validator(mode="after")
    def _one_precision(self) -> Self:
        if (self.day is None) == (self.jun is None):
            raise ValueError("give either day or jun (上旬/中旬/下旬), not both and not neither")
        if self.day is not None:
            dt.date(self.year, self.month, self.day)  # raises for 2月30日
        in_calendar(self.earliest)
        return self

    @property
    def earliest(self) -> dt.date:
        if self.day is not None:
            return dt.date(self.year, self.month, self.day)
        assert self.jun is not None
        return jun_range(self.year, self.month, self.jun)[0]


class Measure(Strict):
    text: LongText
    criterion: Criterion | None = None


class Affair(Strict):
    """事業の概要: the affair (個人情報取扱事務) the case is about."""

    name: Line  # 事業名
    purpose: TextOrEmpty | None = None  # 目的
    subjects: TextOrEmpty | None = None  # 対象者
    description: TextOrEmpty | None = None  # 事業内容
    registration_name: LineOrEmpty | None = None  # 登録業務の名称


class Vendor(Strict):
    """The contractor: the profile and handling facts the council asks for (P3)."""

    name: Line
    founded: LineOrEmpty | None = None
    capital: LineOrEmpty | None = None
    track_record: TextOrEmpty | None = None
    selection: TextOrEmpty | None = None  # how the vendor was chosen
    data_handling: TextOrEmpty | None = None  # what personal data the vendor touches, when
    work_place: TextOrEmpty | None = None
    certifications: list[Line] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)


class MarkedChange(Strict):
    """One change against the parent approval, shown marked in a change consultation."""

    item: Line
    before: TextOrEmpty
    after: TextOrEmpty


class ConsultationDocument(Strict):
    """諮問書 / 諮問・報告事項: what the department files."""

    kind: CaseKind
    category: Category = Category.consultation
    title: Title  # 件名
    department: Department  # 担当課
    legal_basis: TextOrEmpty | None = None  # 条例・法の根拠
    affair: Affair | None = None
    subjects_scope: TextOrEmpty | None = None  # 個人の範囲
    record_items: list[Line] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)  # 記録項目
    counterparty: TextOrEmpty | None = None  # 結合の相手方 / 提供先 / 委託先
    reason: TextOrEmpty | None = None  # 結合する理由 / 諮問の理由
    linkage_form: TextOrEmpty | None = None  # 結合の形態
    planned_start: PlannedStart | None = None  # 開始時期
    period: LineOrEmpty | None = None  # 期間
    scope: Scope = Scope.individual
    operational_measures: list[Measure] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS
    )  # 運用上の対策
    system_measures: list[Measure] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS
    )  # システム上の対策
    vendor: Vendor | None = None
    parent_case: CaseRef | None = None  # the approval this change consultation amends
    changes: list[MarkedChange] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    attachments: list[Line] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    filed_on: CalendarDate | None = None  # 諮問日

    @model_validator(mode="after")
    def _within_budget(self) -> Self:
        within_budget(self, DOCUMENT_BYTES, "the document")
        return self


_NEEDS_COUNTERPARTY = {CaseKind.external_linkage, CaseKind.external_provision, CaseKind.outsourcing}
_NEEDS_RECORD_ITEMS = {
    CaseKind.external_linkage,
    CaseKind.outsourcing,
    CaseKind.computer_processing,
    CaseKind.external_provision,
    CaseKind.indirect_collection,
    CaseKind.record_items,
}


def missing_fields(doc: ConsultationDocument) -> list[str]:
    """The fields ``submit`` requires that this document still lacks (empty when complete)."""
    missing: list[str] = []
    if doc.affair is None:
        missing.append("affair")
    elif not doc.affair.purpose:
        missing.append("affair.purpose")
    if not doc.reason:
        missing.append("reason")
    if doc.planned_start is None:
        missing.append("planned_start")
    if doc.kind in _NEEDS_RECORD_ITEMS and not doc.record_items:
        missing.append("record_items")
    if doc.kind in _NEEDS_COUNTERPARTY and not doc.counterparty:
        missing.append("counterparty")
    if doc.kind is CaseKind.external_linkage and not doc.linkage_form:
        missing.append("linkage_form")
    if doc.category is Category.consultation and doc.kind is not CaseKind.system_review:
        if not doc.operational_measures:
            missing.append("operational_measures")
        if not doc.system_measures:
            missing.append("system_measures")
    if doc.kind is CaseKind.outsourcing and doc.vendor is None:
        missing.append("vendor")
    if doc.vendor is not None:
        missing += [
            f"vendor.{name}"
            for name in ("data_handling", "work_place", "selection")
            if not getattr(doc.vendor, name)
        ]
    if doc.changes and not doc.parent_case:
        missing.append("parent_case")
    return missing
