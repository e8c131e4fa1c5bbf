"""Building blocks shared by the document contents: labelled rows, numbered lines, sections."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import Field

from models.calendar.jcalendar import format_date
from models.calendar.wareki import kanji_number
from models.case.document import Strict
from models.case.payloads import Condition, DueRule
from models.documents.spec import CaseSource, DocumentStyle


class Row(Strict):
    """One labelled row of a form; ``changed`` marks it as the seed marks a change
    (太字ゴシック・下線)."""

    label: str
    value: str
    changed: bool = False


class Numbered(Strict):
    no: str  # "1", "(1)", "ア"
    text: str


class Section(Strict):
    heading: str
    paragraphs: list[str] = Field(default_factory=list)


_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def date_text(style: DocumentStyle, day: dt.date | None) -> str:
    """A date in the municipality's style; a blank date line (to fill by hand) when unknown."""
    if day is None:
        return "年　　月　　日"
    return format_date(day, style.date_style, kanji=style.kanji_numerals)


DUE_LABELS = {
    DueRule.before_contract: "契約締結前まで",
    DueRule.before_start: "事業開始前まで",
}


def due_text(style: DocumentStyle, condition: Condition) -> str:
    if condition.due is DueRule.by_date:
        return f"{date_text(style, condition.due_on)}まで"
    if condition.due is DueRule.within_business_days:
        n = condition.business_days or 0
        days = kanji_number(n) if style.kanji_numerals else str(n)
        return f"答申の日から{days}日以内（閉庁日を除く）"
    return DUE_LABELS[condition.due]


def without_own_number(text: str, number: int) -> str:
    """``text`` without a leading copy of its own item number ("2 区と…", "（2）区と…"): a
    department pasting measures from an earlier 諮問書 brings their numbers along, and the
    document numbers them again. Another number is the department's text and stays."""
    digits = f"(?:{number}|{str(number).translate(_FULL_WIDTH)})"
    own = re.match(rf"\s*(?:[（(]{digits}[)）]\s*|{digits}(?:[\s　]+|[.．、]\s*))", text)
    return text[own.end() :] if own and own.end() < len(text) else text


def numbered(texts: list[str], *, paren: bool = False) -> list[Numbered]:
    return [
        Numbered(no=f"({i})" if paren else str(i), text=without_own_number(t, i))
        for i, t in enumerate(texts, 1)
    ]


IROHA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホ"


def iroha(i: int) -> str:
    """ア, イ, ウ … (the second level of Japanese official numbering)."""
    return IROHA[i] if i < len(IROHA) else str(i + 1)


LATIN = "abcdefghijklmnopqrstuvwxyz"


def latin(i: int) -> str:
    """a, b, c … (the level below (ア) in Japanese official numbering, as seed F prints it)."""
    return LATIN[i] if i < len(LATIN) else str(i + 1)


def about(title: str) -> str:
    """「<件名>について」 without doubling a title that already ends in について."""
    return title if title.endswith("について") else f"{title}について"


_OWN_NUMBER = re.compile(r"第\s*[0-9０-９]+\s*号")


def consultation_number(case: CaseSource) -> str | None:
    """The consultation's own number as the seeds print it (諮問（第870号）, 諮問第5号): the
    第N号 in the case's external reference (e.g. 「藤沢市 諮問第870号」), else the reference
    as typed; None when the case has none. Never the answer's number (答申第N号)."""
    ref = (case.external_ref or "").strip()
    if not ref:
        return None
    found = _OWN_NUMBER.search(ref)
    return re.sub(r"\s+", "", found.group()) if found else ref


def prefixed(kind: str, number: str) -> str:
    """「諮問第870号」 from 「第870号」; a number in another form as 「諮問 R6-12」."""
    return f"{kind}{number}" if number.startswith("第") else f"{kind} {number}"


def consulted_on(case: CaseSource) -> dt.date | None:
    """The date of the 諮問: as filed, else the session that received it (諮問書授受 at the
    session, as in Higashimurayama); None when neither is known yet."""
    if case.document.filed_on:
        return case.document.filed_on
    return case.session.held_on if case.session else None
