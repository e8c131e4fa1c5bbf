"""The council's documents as content: what goes in each (lines, rows, the criteria matrix),
built from a case or a session without any I/O. Rendering to DOCX/PDF is ``rendering/``."""

from __future__ import annotations

from pydantic import BaseModel

from models.documents.answer import build_answer
from models.documents.consultation import build_consultation
from models.documents.letters import build_condition_report, build_reminder
from models.documents.session_docs import build_minutes_document, build_notice
from models.documents.spec import DOC_SUBJECT, DocType, DocumentStyle, GenerateDocumentInput
from models.errors import InvalidPayload


def build_content(inp: GenerateDocumentInput, style: DocumentStyle) -> BaseModel:
    """The content of the document ``inp`` asks for; InvalidPayload when the data is missing
    or not yet there (e.g. a 答申書 before the answer)."""
    doc_type = inp.doc_type
    try:
        if DOC_SUBJECT[doc_type].value == "case":
            if inp.case is None:
                raise InvalidPayload(f"{doc_type} is made from a case: no case given")
            case = inp.case
            match doc_type:
                case DocType.shimonsho:
                    return build_consultation(case, style)
                case DocType.toshinsho:
                    return build_answer(case, style)
                case DocType.tokusoku:
                    return build_reminder(case, style)
                case _:
                    return build_condition_report(case, style)
        if inp.session is None:
            raise InvalidPayload(f"{doc_type} is made from a session: no session given")
        if doc_type is DocType.kaisai_tsuchi:
            return build_notice(inp.session, style)
        return build_minutes_document(
            inp.session, style, public=doc_type is DocType.kaigiroku_public
        )
    except ValueError as err:
        raise InvalidPayload(f"{doc_type}: {err}") from None
