"""Precedents (類似答申): the passages of past answers and public minutes that the
secretariat searches when a similar case comes. Only public text goes in: the 答申書's
conclusion, explanation, reasons, conditions and 附帯意見, and the public version of the
minutes (every redacted passage already replaced). No speaker or owner names."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from enum import StrEnum

from pydantic import Field

from models.case.document import Strict
from models.case.payloads import Outcome
from models.case.record import Answer, Decision
from models.session.minutes import build_minutes
from models.session.record import SessionRecord


class PassageSource(StrEnum):
    subject = "subject"  # 件名
    conclusion = "conclusion"  # 結論
    explanation = "explanation"  # 実施機関の説明要旨
    reasons = "reasons"  # 審議会の判断理由
    summary = "summary"  # 審議の概要
    condition = "condition"  # 条件
    opinion = "opinion"  # 附帯意見
    minutes = "minutes"  # 会議録 (public version)


ANSWER_SOURCES = frozenset(PassageSource) - {PassageSource.minutes}
# runs of kanji, of katakana, of latin letters and digits: the content words of a Japanese
# title (particles and okurigana are hiragana and fall between them)
_CONTENT_RUN = re.compile(
    r"[\u3005\u4e00-\u9fff]{2,}|[\u30a1-\u30fa\u30fc]{2,}|[A-Za-z0-9\uff10-\uff5a]{2,}"
)


def content_words(text: str) -> list[str]:
    """The content words of a title, longest first, each once: 「図書館への顔認証カメラの導入」
    → 図書館, 顔認証, カメラ, 導入 (no dictionary: a run of kanji or of katakana is a word)."""
    words = dict.fromkeys(_CONTENT_RUN.findall(text))
    return sorted(words, key=len, reverse=True)


class Passage(Strict):
    source: PassageSource
    position: int = Field(ge=1)
    text: str = Field(min_length=1)


class PrecedentEntry(Strict):
    """One past case's public passages, with what a search result shows beside them.
    ``session_id`` is set for minutes passages (one entry per case per session)."""

    case_id: str
    session_id: str | None = None
    title: str
    department: str
    kind: str
    fiscal_year: int
    on: dt.date  # the answer's date, or the session's
    answer_number: str | None = None
    outcome: str | None = None
    passages: list[Passage]


def _passages(texts: Sequence[tuple[PassageSource, str | None]]) -> list[Passage]:
    out: list[Passage] = []
    counts: dict[PassageSource, int] = {}
    for source, text in texts:
        if text and text.strip():
            counts[source] = counts.get(source, 0) + 1
            out.append(Passage(source=source, position=counts[source], text=text.strip()))
    return out


def answer_entry(
    *,
    case_id: str,
    title: str,
    department: str,
    kind: str,
    fiscal_year: int,
    decision: Decision | None,
    answer: Answer,
) -> PrecedentEntry:
    """The issued answer's passages (the 答申書's text, its conditions and opinions)."""
    texts: list[tuple[PassageSource, str | None]] = [
        (PassageSource.subject, title),
        (PassageSource.conclusion, answer.conclusion),
        (PassageSource.explanation, answer.explanation_summary),
        (PassageSource.reasons, answer.reasons),
    ]
    if decision is not None:
        texts.append((PassageSource.summary, decision.summary))
        texts += [(PassageSource.condition, c.text) for c in decision.conditions]
        texts += [(PassageSource.opinion, o.text) for o in decision.opinions]
    outcome: Outcome | None = decision.outcome if decision else None
    return PrecedentEntry(
        case_id=case_id,
        title=title,
        department=department,
        kind=kind,
        fiscal_year=fiscal_year,
        on=answer.issued_on,
        answer_number=answer.number,
        outcome=outcome.value if outcome else None,
        passages=_passages(texts),
    )


def minutes_entries(record: SessionRecord) -> list[PrecedentEntry]:
    """The public minutes' passages of each agenda item (questions, answers, conditions,
    opinions, with every redacted passage replaced), one entry per case. Department and kind
    are left blank: the index takes them from the case's row."""
    minutes = build_minutes(record, public=True)
    plan = record.plan
    entries = []
    for item, shown in zip(record.items, minutes.items, strict=True):
        texts = [(PassageSource.minutes, text) for _who, text in shown.qa]
        texts += [(PassageSource.minutes, t) for t in shown.conditions + shown.opinions]
        passages = _passages(texts)
        if not passages:
            continue
        entries.append(
            PrecedentEntry(
                case_id=item.case_id,
                session_id=plan.session_id,
                title=item.title,
                department="",
                kind="",
                fiscal_year=plan.fiscal_year,
                on=plan.held_on,
                answer_number=item.answer.number if item.answer else None,
                outcome=item.outcome.value if item.outcome else None,
                passages=passages,
            )
        )
    return entries
