"""What a generated document is: its type and format, the data it is made from, the
municipality's style, and the inputs and results of the document activities."""

from __future__ import annotations

import datetime as dt
import hashlib
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from models.calendar.jcalendar import DateStyle, FiscalEraRule
from models.case.document import Category, ConsultationDocument, Strict
from models.case.payloads import SessionRef, Verification
from models.case.record import Answer, Decision, TransitionRecord
from models.case.states import CaseState
from models.session.record import SessionRecord


class DocType(StrEnum):
    """Stable lowercase values: they are in histories, file names and the read model."""

    shimonsho = "shimonsho"  # 諮問書 (with its 別紙)
    toshinsho = "toshinsho"  # 答申書
    kaigiroku = "kaigiroku"  # 会議録
    kaigiroku_public = "kaigiroku_public"  # 会議録 (公開用: redactions replaced by their basis)
    kaisai_tsuchi = "kaisai_tsuchi"  # 開催通知 (session notice to the members)
    tokusoku = "tokusoku"  # 督促: reminder letter to the department (open conditions, 宿題)
    joken_hokoku = "joken_hokoku"  # 条件履行報告 (condition-fulfilment report)


class DocFormat(StrEnum):
    docx = "docx"
    pdf = "pdf"


class Subject(StrEnum):
    case = "case"
    session = "session"


DOC_SUBJECT = {
    DocType.shimonsho: Subject.case,
    DocType.toshinsho: Subject.case,
    DocType.tokusoku: Subject.case,
    DocType.joken_hokoku: Subject.case,
    DocType.kaigiroku: Subject.session,
    DocType.kaigiroku_public: Subject.session,
    DocType.kaisai_tsuchi: Subject.session,
}

DOC_LABELS = {
    DocType.shimonsho: "諮問書",
    DocType.toshinsho: "答申書",
    DocType.kaigiroku: "会議録",
    DocType.kaigiroku_public: "会議録（公開用）",
    DocType.kaisai_tsuchi: "開催通知",
    DocType.tokusoku: "督促状",
    DocType.joken_hokoku: "条件履行報告書",
}


class DocumentSettings(Strict):
    """A municipality's document settings (``documents:`` in its municipality file)."""

    addressee: str | None = None  # the 実施機関's head by title, e.g. 藤沢市長 (default: <name>長)
    addressee_name: str | None = Field(default=None, max_length=60)  # e.g. 鈴木 恒夫
    council_name: str | None = (
        None  # when a case has no session (default: <name>個人情報保護審議会)
    )
    secretariat: str = "総務課"  # 事務局: issuer of reminders, contact in notices
    kanji_numerals: bool = False  # dates as 令和六年四月一日


class DocumentStyle(Strict):
    """Everything about the municipality a document builder needs (resolved settings)."""

    municipality: str
    date_style: DateStyle = DateStyle.wareki
    fiscal_era_rule: FiscalEraRule = FiscalEraRule.year_end
    addressee: str
    council_name: str
    secretariat: str = "総務課"
    kanji_numerals: bool = False


def document_style(
    name: str,
    settings: DocumentSettings,
    date_style: DateStyle = DateStyle.wareki,
    fiscal_era_rule: FiscalEraRule = FiscalEraRule.year_end,
) -> DocumentStyle:
    return DocumentStyle(
        municipality=name,
        date_style=date_style,
        fiscal_era_rule=fiscal_era_rule,
        addressee=" ".join(
            part for part in (settings.addressee or f"{name}長", settings.addressee_name) if part
        ),
        council_name=settings.council_name or f"{name}個人情報保護審議会",
        secretariat=settings.secretariat,
        kanji_numerals=settings.kanji_numerals,
    )


class CaseSource(BaseModel):
    """The case data a case document is made from (from the workflow's record or its query)."""

    case_id: str
    external_ref: str | None = None  # the consultation's own number, e.g. 藤沢市 諮問第870号
    seq: int
    state: CaseState
    category: Category
    document: ConsultationDocument
    history: list[TransitionRecord]
    session: SessionRef | None = None
    decision: Decision | None = None
    answer: Answer | None = None
    verified: list[Verification] = Field(default_factory=list)

    @classmethod
    def of(cls, case: Any) -> CaseSource:
        """From a ``CaseRecord`` or a ``CaseSnapshot`` (a deep copy: the case goes on)."""
        return cls.model_validate(
            {
                "case_id": case.case_id,
                "external_ref": case.external_ref,
                "seq": case.history[-1].seq,
                "state": case.state,
                "category": case.category,
                "document": case.document.model_dump(),
                "history": [h.model_dump() for h in case.history],
                "session": case.session.model_dump() if case.session else None,
                "decision": case.decision.model_dump() if case.decision else None,
                "answer": case.answer.model_dump() if case.answer else None,
                "verified": [v.model_dump() for v in getattr(case, "verified", [])],
            }
        )

    @property
    def version(self) -> str:
        return str(self.seq)


class SessionSource(BaseModel):
    """The session data a session document is made from."""

    record: SessionRecord

    @property
    def session_id(self) -> str:
        return self.record.plan.session_id

    @property
    def version(self) -> str:
        """A session record has no counter: its version is a digest of its content."""
        body = self.record.model_dump_json(
            include={"plan", "council", "items", "attendance", "redactions", "notice_sent_on"}
        )
        return "r" + hashlib.sha256(body.encode()).hexdigest()[:12]


class GenerateDocumentInput(Strict):
    doc_type: DocType
    formats: list[DocFormat] = Field(default_factory=lambda: [DocFormat.docx, DocFormat.pdf])
    case: CaseSource | None = None
    session: SessionSource | None = None


class DocumentRequest(Strict):
    """What the CLI asks for: the activity loads the data from the case or session workflow."""

    doc_type: DocType
    subject_id: str = Field(min_length=1, max_length=80)
    formats: list[DocFormat] = Field(default_factory=lambda: [DocFormat.docx, DocFormat.pdf])


class DocumentInfo(Strict):
    """One stored file (a row of the read model's ``documents`` table)."""

    id: str
    subject: Subject
    subject_id: str
    doc_type: DocType
    format: DocFormat
    data_version: str
    sha256: str
    path: str
    size: int
    template: str
    generated_at: dt.datetime


class GenerateDocumentResult(Strict):
    documents: list[DocumentInfo]


def document_id(subject_id: str, doc_type: DocType, fmt: DocFormat, version: str) -> str:
    """The row id: one per subject + type + format + data version (so writing is idempotent)."""
    key = f"{subject_id}\x1f{doc_type.value}\x1f{fmt.value}\x1f{version}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]
