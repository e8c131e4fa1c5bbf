"""Letters about a case after its answer: the reminder to the department (督促: conditions and
宿題 still open) and the department's condition-fulfilment report (条件履行報告).

Both are dated by the case's last recorded act, so the same data gives the same document."""

from __future__ import annotations

from pydantic import Field

from models.case.document import Strict
from models.documents.common import about, date_text, due_text
from models.documents.spec import CaseSource, DocumentStyle


class ConditionLine(Strict):
    no: str
    text: str
    due: str
    status: str  # 履行済（内容） / 未履行


class LetterContent(Strict):
    """Everything a 督促状 or 条件履行報告書 template shows."""

    doc_title: str
    date_line: str
    addressee: str
    issuer: str
    subject_line: str
    body: str
    conditions: list[ConditionLine] = Field(default_factory=list)
    action_items: list[str] = Field(default_factory=list)
    closing: str = "以 上"


def _conditions(case: CaseSource, style: DocumentStyle) -> list[ConditionLine]:
    decision = case.decision
    if decision is None:
        return []
    evidence = {v.condition: v.evidence for v in case.verified}
    return [
        ConditionLine(
            no=f"({i})",
            text=c.text,
            due=due_text(style, c),
            status=f"履行済（{evidence[i]}）" if i in evidence else "未履行",
        )
        for i, c in enumerate(decision.conditions, 1)
    ]


def _require_answer(case: CaseSource) -> str:
    if case.answer is None:
        raise ValueError(f"case {case.case_id} has no answer yet (答申 not issued)")
    return case.answer.number


def build_reminder(case: CaseSource, style: DocumentStyle) -> LetterContent:
    """督促: the conditions not yet fulfilled and the 宿題 of the answer, to the department."""
    number = _require_answer(case)
    doc = case.document
    council = case.session.council if case.session else style.council_name
    lines = _conditions(case, style)
    open_lines = [line for line in lines if line.status == "未履行"]
    actions = [a.text for a in case.decision.action_items] if case.decision else []
    as_of = date_text(style, case.history[-1].on)
    return LetterContent(
        doc_title="督促状",
        date_line=as_of,
        addressee=f"{doc.department}長 様",
        issuer=f"{council}事務局（{style.secretariat}）",
        subject_line=f"答申（{number}）に付された条件等の履行について（依頼）",
        body=(
            f"{about(doc.title)}、{as_of}現在、答申に付された次の条件等の履行が確認できて"
            "いません。履行の上、速やかに報告してください。"
            if open_lines or actions
            else f"{about(doc.title)}、{as_of}現在、履行を要する条件等はありません。"
        ),
        conditions=open_lines,
        action_items=actions,
    )


def build_condition_report(case: CaseSource, style: DocumentStyle) -> LetterContent:
    """条件履行報告: each condition of the answer with how it was fulfilled, to the council."""
    number = _require_answer(case)
    doc = case.document
    council = case.session.council if case.session else style.council_name
    lines = _conditions(case, style)
    done = all(line.status != "未履行" for line in lines)
    return LetterContent(
        doc_title="条件履行報告書",
        date_line=date_text(style, case.history[-1].on),
        addressee=f"{council}会長 様",
        issuer=f"{style.addressee}（{doc.department}）",
        subject_line=f"{doc.title}に係る答申（{number}）の条件の履行について（報告）",
        body=(
            "答申に付された条件について、次のとおり履行しましたので報告します。"
            if done
            else "答申に付された条件の履行状況について、次のとおり報告します。"
        ),
        conditions=lines,
    )
