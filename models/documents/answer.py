"""The 答申書 in the Fujisawa form (DOMAIN.md 1.2): date line, addressee, issuer, 1 結論,
2 実施機関の説明要旨, 3 審議会の判断理由 with the criteria matrix built from the measures tagged
a–f, then 条件 and 附帯意見."""

from __future__ import annotations

from pydantic import Field

from models.case.document import ConsultationDocument, Criterion, Measure, Strict
from models.case.payloads import Outcome
from models.case.states import Role, Trigger
from models.documents.common import (
    Numbered,
    Section,
    about,
    consultation_number,
    consulted_on,
    date_text,
    due_text,
    iroha,
    latin,
    prefixed,
    without_own_number,
)
from models.documents.spec import CaseSource, DocumentStyle
from models.labels import CRITERION_LABELS, KIND_LABELS, ROLE_LABELS

DEFAULT_CONCLUSIONS = {
    Outcome.approve: "諮問どおり実施することは適当であると認められる。",
    Outcome.approve_with_conditions: "次の条件を付して実施することは適当であると認められる。",
    Outcome.reject: "諮問の内容により実施することは適当であるとは認められない。",
}


class MatrixRow(Strict):
    """One criterion of the council and the department's measures that meet it."""

    letter: str
    label: str
    measures: str  # e.g. (ア)a、(イ)c: the measures under 2(2)ウ (— when none)


class AnswerContent(Strict):
    """Everything a 答申書 template shows."""

    doc_title: str = "答申書"
    number: str
    number_line: str  # 答申第N号, above the date
    date_line: str
    addressee: str
    issuer_body: str
    issuer: str
    subject_line: str
    preamble: str
    conclusion: str
    explanation_lead: str
    explanation: list[Section]
    necessity: str
    matrix_lead: str
    matrix: list[MatrixRow]
    matrix_conclusion: str
    reasons: list[str] = Field(default_factory=list)
    conditions: list[Numbered] = Field(default_factory=list)
    opinions: list[Numbered] = Field(default_factory=list)


def _measure_groups(doc: ConsultationDocument) -> list[tuple[str, str, list[Measure]]]:
    """The department's measures as the answer numbers them: each group (運用上の対策,
    システム上の対策) a (ア), (イ) under 2(2)ウ 安全対策, each measure a, b, c in its group."""
    groups = [
        ("運用上の対策", doc.operational_measures),
        ("システム上の対策", doc.system_measures),
    ]
    shown = [(label, items) for label, items in groups if items]
    return [(f"({iroha(g)})", label, items) for g, (label, items) in enumerate(shown)]


def criteria_matrix(case: CaseSource) -> list[MatrixRow]:
    """The council's criteria a–f against the department's measures, cited as the seed
    cites them: (ア)a is measure a of the first group under 2(2)ウ 安全対策."""
    refs: dict[Criterion, list[str]] = {c: [] for c in Criterion}
    for marker, _, measures in _measure_groups(case.document):
        for i, measure in enumerate(measures):
            if measure.criterion is not None:
                refs[measure.criterion].append(f"{marker}{latin(i)}")
    return [
        MatrixRow(letter=c.value, label=CRITERION_LABELS[c], measures="、".join(refs[c]) or "—")
        for c in Criterion
    ]


def _chair(case: CaseSource) -> str:
    """Who signs: the chair on the council roster when the answer was issued; for an answer
    issued outside a session, the name of the chair who issued it (never a bare role label:
    「会長 会長」 is what the seeds never print)."""
    if case.answer is not None and case.answer.signed_by:
        return case.answer.signed_by
    for record in reversed(case.history):
        if record.trigger is Trigger.issue_answer and record.actor.role is Role.chair:
            name = record.actor.name
            return "" if name in (ROLE_LABELS[Role.chair], Role.chair.value) else name
    return ""


def _explanation(case: CaseSource, style: DocumentStyle) -> list[Section]:
    doc = case.document
    kind = KIND_LABELS[doc.kind]
    handling: list[str] = []
    if doc.subjects_scope:
        handling.append(f"対象者：{doc.subjects_scope}")
    handling += [f"　({iroha(i)}) {item}" for i, item in enumerate(doc.record_items)]
    measures: list[str] = []
    for marker, label, items in _measure_groups(doc):
        measures.append(f"　{marker} {label}")
        measures += [
            f"　　{latin(i)} {without_own_number(m.text, i + 1)}" for i, m in enumerate(items)
        ]
    bodies = (
        ("必要性", [doc.affair.purpose] if doc.affair and doc.affair.purpose else []),
        ("処理する個人情報", handling),
        ("安全対策", measures),
    )
    process: list[str] = []
    for i, (title, body) in enumerate((t, b) for t, b in bodies if b):
        process.append(f"{iroha(i)} {title}")
        process += body
    start = doc.planned_start
    sections = [
        Section(heading="(1) 諮問に至った経過", paragraphs=[doc.reason] if doc.reason else []),
        Section(heading=f"(2) {kind}について", paragraphs=process),
        Section(
            heading="(3) 実施時期",
            paragraphs=[doc.period or (f"{date_text(style, start.earliest)}から" if start else "")],
        ),
        Section(heading="(4) 提出書類", paragraphs=doc.attachments),
    ]
    return [s for s in sections if any(s.paragraphs)]


def build_answer(case: CaseSource, style: DocumentStyle) -> AnswerContent:
    """The 答申書 of an answered case. Raises ValueError when the case has no answer yet."""
    if case.answer is None:
        raise ValueError(f"case {case.case_id} has no answer yet (答申 not issued)")
    answer, decision, doc = case.answer, case.decision, case.document
    council = case.session.council if case.session else style.council_name
    filed = consulted_on(case) or case.history[0].on
    outcome = decision.outcome if decision else Outcome.approve
    has_measures = bool(doc.operational_measures or doc.system_measures)
    own = consultation_number(case)
    return AnswerContent(
        number=answer.number,
        number_line=prefixed("答申", answer.number),
        date_line=date_text(style, answer.issued_on),
        addressee=f"{style.addressee} 様",
        issuer_body=council,
        issuer=f"{council}会長 {_chair(case)}".rstrip(),
        subject_line=f"{about(doc.title)}（答申）",
        preamble=(
            f"{date_text(style, filed)}付けで諮問{f'（{own}）' if own else ''}された"
            f"{about(doc.title)}"
            "次のとおり答申します。"
        ),
        conclusion=answer.conclusion or DEFAULT_CONCLUSIONS[outcome],
        explanation_lead=answer.explanation_summary
        or f"実施機関の説明を総合すると、本事務の実施に当たり{KIND_LABELS[doc.kind]}を行う"
        "必要性等は、次のとおりである。",
        explanation=_explanation(case, style),
        necessity=(decision.summary if decision and decision.summary else None)
        or "実施機関の説明から、必要性があると認められる。",
        matrix_lead=(
            "実施機関が2 説明要旨(2)の「安全対策」において示す措置を、審議会の定める次の基準に"
            "照らすと、次のとおりである。"
            if has_measures
            else "安全対策として示された措置はない。"
        ),
        matrix=criteria_matrix(case) if has_measures else [],
        matrix_conclusion=(
            "以上のことから、安全対策上の措置が施されていると認められる。"
            if outcome is not Outcome.reject
            else "以上のことから、安全対策上の措置が十分に施されているとは認められない。"
        ),
        reasons=[p for p in (answer.reasons or "").split("\n") if p.strip()],
        conditions=[
            Numbered(no=f"({i})", text=f"{c.text}（履行期限：{due_text(style, c)}）")
            for i, c in enumerate(decision.conditions if decision else [], 1)
        ],
        opinions=[
            Numbered(no=f"({i})", text=o.text)
            for i, o in enumerate(decision.opinions if decision else [], 1)
        ],
    )
