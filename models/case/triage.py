"""Which consultation kinds need the council, per municipality, versioned by effective date.

Before 2023-04-01 municipal ordinances made consultation a typological requirement (e.g.
online linkage). From then on art. 129 of the 個人情報保護法 allows a consultation only
where it is 「特に必要」, with a recorded reason. A case is routed by the rule in force on
its planned start date, so old and new cases are both routed correctly.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field, model_validator

from models.case.document import CaseKind, Strict


class Requirement(StrEnum):
    required = "required"  # 要諮問
    report = "report"  # 要報告
    not_required = "not_required"  # 不要
    optional = "optional"  # 任意 (art. 129: 特に必要と認めるとき, reason recorded)


class KindRule(Strict):
    kind: CaseKind
    requirement: Requirement
    legal_basis: str = Field(min_length=1)
    effective_from: dt.date
    effective_to: dt.date | None = None  # inclusive; None means still in force

    @model_validator(mode="after")
    def _ordered(self) -> KindRule:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


class TriageTable(Strict):
    municipality: str = Field(min_length=1)
    rules: list[KindRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_overlap(self) -> TriageTable:
        for i, a in enumerate(self.rules):
            for b in self.rules[i + 1 :]:
                if a.kind == b.kind and (
                    (b.effective_to is None or a.effective_from <= b.effective_to)
                    and (a.effective_to is None or b.effective_from <= a.effective_to)
                ):
                    raise ValueError(f"rules for kind {a.kind} overlap in time")
        return self

    def rule_for(self, kind: CaseKind, on: dt.date) -> KindRule | None:
        return next((r for r in self.rules if r.kind == kind and r.in_force(on)), None)


_REFORM = dt.date(2023, 4, 1)
_OLD_LAST = dt.date(2023, 3, 31)
_ORDINANCE = "個人情報保護条例 (令和5年3月31日廃止)"
_ART_129 = "個人情報の保護に関する法律第129条・施行条例 (特に必要と認めるとき)"

_BEFORE: dict[CaseKind, tuple[Requirement, str]] = {
    CaseKind.external_linkage: (Requirement.required, f"{_ORDINANCE} 外部結合の制限"),
    CaseKind.outsourcing: (Requirement.required, f"{_ORDINANCE} 委託"),
    CaseKind.computer_processing: (Requirement.required, f"{_ORDINANCE} 電子計算機処理"),
    CaseKind.external_provision: (Requirement.required, f"{_ORDINANCE} 目的外利用・外部提供"),
    CaseKind.indirect_collection: (Requirement.required, f"{_ORDINANCE} 本人外収集"),
    CaseKind.record_items: (Requirement.report, f"{_ORDINANCE} 個人情報取扱事務の届出"),
    CaseKind.pia_review: (Requirement.required, "特定個人情報保護評価規則第7条第4項"),
    CaseKind.system_review: (Requirement.optional, f"{_ORDINANCE} 審議会の所掌"),
}
_AFTER: dict[CaseKind, tuple[Requirement, str]] = {
    CaseKind.external_linkage: (Requirement.optional, _ART_129),
    CaseKind.outsourcing: (Requirement.optional, _ART_129),
    CaseKind.computer_processing: (Requirement.optional, _ART_129),
    CaseKind.external_provision: (Requirement.optional, _ART_129),
    CaseKind.indirect_collection: (Requirement.optional, _ART_129),
    CaseKind.record_items: (Requirement.report, "個人情報ファイル簿の作成・公表 (法第75条)"),
    CaseKind.pia_review: (Requirement.required, "特定個人情報保護評価規則第7条第4項"),
    CaseKind.system_review: (Requirement.optional, _ART_129),
}

DEFAULT_TRIAGE_TABLE = TriageTable(
    municipality="toshin demo city",
    rules=[
        KindRule(
            kind=kind,
            requirement=req,
            legal_basis=basis,
            effective_from=dt.date(2000, 1, 1),
            effective_to=_OLD_LAST,
        )
        for kind, (req, basis) in _BEFORE.items()
    ]
    + [
        KindRule(kind=kind, requirement=req, legal_basis=basis, effective_from=_REFORM)
        for kind, (req, basis) in _AFTER.items()
    ],
)
