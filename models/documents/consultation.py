"""The 諮問書 with its 別紙: the fields of the Shinjuku sheet (DOMAIN.md 1.1), numbered
operational and system measures, and for a change case the changes against the parent,
marked as the seed marks them (太字ゴシック・下線)."""

from __future__ import annotations

from pydantic import Field

from models.calendar.jcalendar import format_jun
from models.case.document import CaseKind, ConsultationDocument, MarkedChange, Strict
from models.documents.common import (
    Numbered,
    Row,
    about,
    consultation_number,
    consulted_on,
    date_text,
    numbered,
    prefixed,
)
from models.documents.spec import CaseSource, DocumentStyle
from models.labels import CATEGORY_LABELS, KIND_LABELS

COUNTERPARTY_LABELS = {
    CaseKind.external_linkage: "結合の相手方",
    CaseKind.external_provision: "提供先",
    CaseKind.outsourcing: "委託先",
}
REASON_LABELS = {
    CaseKind.external_linkage: "結合する理由",
    CaseKind.outsourcing: "委託する理由",
    CaseKind.computer_processing: "コンピュータ処理を行う理由",
    CaseKind.external_provision: "目的外利用・外部提供を行う理由",
}
START_LABELS = {CaseKind.external_linkage: "結合の開始時期と期間"}
ITEMS_LABELS = {CaseKind.external_linkage: "結合される情報項目（だれの、どのような項目か）"}


class ChangeRow(Strict):
    item: str
    before: str
    after: str


class ConsultationContent(Strict):
    """Everything a 諮問書 template shows."""

    doc_title: str = "諮問書"
    number_line: str | None  # 諮問第N号, above the date (the case's own number)
    date_line: str
    addressee: str
    issuer: str
    subject_line: str
    body: str
    sheet_title: str = "諮問・報告事項"
    header: list[Row]
    affair: list[Row]
    annex: list[Row]
    operational_measures: list[Numbered]
    system_measures: list[Numbered]
    is_change: bool
    change_note: str | None
    changes: list[ChangeRow] = Field(default_factory=list)
    attachments: list[str] = Field(default_factory=list)


def _start(doc: ConsultationDocument, style: DocumentStyle) -> str | None:
    """The period as the department wrote it, else the planned start (to the 旬 when so given)."""
    start = doc.planned_start
    if doc.period or start is None:
        return doc.period
    if start.jun is not None:
        kanji = style.kanji_numerals
        return (
            format_jun(start.year, start.month, start.jun, style.date_style, kanji=kanji) + "から"
        )
    return f"{date_text(style, start.earliest)}から"


def _marked(label: str, changes: list[MarkedChange]) -> bool:
    """A change names the field it changes: the label itself, or more narrowly (the label
    without its parenthesised hint is a prefix, e.g. 結合される情報項目の保存先)."""
    base = label.split("（")[0]
    return any(c.item.startswith(base) or base.startswith(c.item) for c in changes)


def _rows(pairs: list[tuple[str, str | None]], changes: list[MarkedChange]) -> list[Row]:
    return [
        Row(label=label, value=value, changed=_marked(label, changes))
        for label, value in pairs
        if value
    ]


def build_consultation(case: CaseSource, style: DocumentStyle) -> ConsultationContent:
    """The 諮問書 of a case: cover letter, the sheet, its 別紙 and the marked changes."""
    doc = case.document
    changes = doc.changes
    council = case.session.council if case.session else style.council_name
    category = CATEGORY_LABELS[doc.category]
    basis = doc.legal_basis or "個人情報の保護に関する法律施行条例"
    items = "\n".join(f"({i}) {text}" for i, text in enumerate(doc.record_items, 1))
    scope_items = "\n".join(
        part
        for part in (
            f"1 個人の範囲\n{doc.subjects_scope}" if doc.subjects_scope else "",
            f"2 記録項目\n{items}" if items else "",
        )
        if part
    )
    vendor = doc.vendor
    annex_pairs: list[tuple[str, str | None]] = [
        ("保有課（担当課）", doc.department),
        ("登録業務の名称", doc.affair.registration_name if doc.affair else None),
        (ITEMS_LABELS.get(doc.kind, "対象となる個人情報"), scope_items),
        (COUNTERPARTY_LABELS.get(doc.kind, "相手方"), doc.counterparty),
        (REASON_LABELS.get(doc.kind, "諮問の理由"), doc.reason),
        ("結合の形態" if doc.kind is CaseKind.external_linkage else "処理の形態", doc.linkage_form),
        (START_LABELS.get(doc.kind, "開始時期と期間"), _start(doc, style)),
    ]
    if vendor is not None:
        annex_pairs += [
            ("委託先事業者", vendor.name),
            ("事業者の概要", "、".join(x for x in (vendor.founded, vendor.capital) if x) or None),
            ("実績", vendor.track_record),
            ("選定方法", vendor.selection),
            ("個人情報の取扱い", vendor.data_handling),
            ("作業場所", vendor.work_place),
            ("認証等", "、".join(vendor.certifications) or None),
        ]
    affair = doc.affair
    parent = doc.parent_case
    own = consultation_number(case)
    return ConsultationContent(
        number_line=prefixed("諮問", own) if own else None,
        date_line=date_text(style, consulted_on(case)),
        addressee=f"{council}会長 様",
        issuer=style.addressee,
        subject_line=f"{about(doc.title)}（{category}）",
        body=(
            f"{basis}の規定により、下記のとおり{category}します。"
            if doc.category.value == "consultation"
            else f"下記のとおり{KIND_LABELS[doc.kind]}について報告します。"
        ),
        header=_rows(
            [("件名", doc.title), ("区分", category), ("条例の根拠", doc.legal_basis)], changes
        ),
        affair=_rows(
            [
                ("事業名", affair.name if affair else None),
                ("担当課", doc.department),
                ("目的", affair.purpose if affair else None),
                ("対象者", affair.subjects if affair else None),
                ("事業内容", affair.description if affair else None),
            ],
            changes,
        ),
        annex=_rows(annex_pairs, changes),
        operational_measures=numbered([m.text for m in doc.operational_measures]),
        system_measures=numbered([m.text for m in doc.system_measures]),
        is_change=bool(parent),
        change_note=(
            f"※太字ゴシック（下線）が、既承認案件（{parent}）の承認内容からの変更内容"
            if parent
            else None
        ),
        changes=[ChangeRow(item=c.item, before=c.before, after=c.after) for c in changes],
        attachments=doc.attachments,
    )
