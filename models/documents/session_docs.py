"""Session documents: the 会議録 (Higashimurayama / Niiza fields; the public version replaces
each redacted passage by its legal basis) and the 開催通知 to the members."""

from __future__ import annotations

from pydantic import Field

from models.calendar.jcalendar import format_datetime_range, format_fiscal_year, format_weekday
from models.case.document import Strict
from models.documents.common import Row, date_text
from models.documents.spec import DocumentStyle, SessionSource
from models.session.minutes import OPENNESS, build_minutes


class Utterance(Strict):
    speaker: str
    text: str


class MinutesItemContent(Strict):
    no: str
    title: str
    qa: list[Utterance]
    conclusion: str
    conditions: list[str] = Field(default_factory=list)
    opinions: list[str] = Field(default_factory=list)
    action_items: list[str] = Field(default_factory=list)


class MinutesContent(Strict):
    """Everything a 会議録 template shows."""

    doc_title: str
    public: bool
    public_note: str | None
    fields: list[Row]
    agenda: list[str]
    items: list[MinutesItemContent]
    redaction_bases: list[str] = Field(default_factory=list)  # public: what was left out, why


def build_minutes_document(
    source: SessionSource, style: DocumentStyle, *, public: bool
) -> MinutesContent:
    """The 会議録 of a session (``public``: the version for publication)."""
    m = build_minutes(
        source.record, style=style.date_style, fiscal_rule=style.fiscal_era_rule, public=public
    )
    fields = [
        Row(label="会議の名称", value=m.name),
        Row(label="開催日時", value=m.held),
        Row(label="開催場所", value=m.place),
        Row(label="出席者", value="、".join(m.attendees) or "なし"),
        Row(label="欠席者", value="、".join(m.absentees) or "なし"),
        Row(label="事務局職員", value="、".join(m.staff) or "なし"),
        Row(label="説明者・参考人", value="、".join(m.explainers) or "なし"),
        Row(label="公開・非公開の別", value=m.openness),
        Row(label="非公開の理由", value=m.closed_reason or "—"),
        Row(label="傍聴者数", value=f"{m.observers}人"),
        Row(label="問合せ先", value=f"{source.record.council.name}事務局（{style.secretariat}）"),
    ]
    items = [
        MinutesItemContent(
            no=f"({i})",
            title=item.title,
            qa=[Utterance(speaker=who, text=text) for who, text in item.qa],
            conclusion=item.conclusion or "結論に至らず",
            conditions=item.conditions,
            opinions=item.opinions,
            action_items=item.action_items,
        )
        for i, item in enumerate(m.items, 1)
    ]
    bases = sorted({f"（{basis}に該当する情報のため記載しない）" for _, basis in m.redactions})
    return MinutesContent(
        doc_title="会議録（公開用）" if public else "会議録",
        public=public,
        public_note=(
            "非公開情報に該当する部分は、その根拠を記載して記載を省略している。"
            if public and bases
            else None
        ),
        fields=fields,
        agenda=m.agenda,
        items=items,
        redaction_bases=bases if public else [],
    )


class NoticeContent(Strict):
    """Everything a 開催通知 template shows."""

    doc_title: str = "開催通知"
    date_line: str
    addressee: str
    issuer: str
    subject_line: str
    body: str
    rows: list[Row]
    agenda: list[str]
    closing: str = "以 上"


def build_notice(source: SessionSource, style: DocumentStyle) -> NoticeContent:
    """開催通知: the convocation to the members (dated when it was sent, blank before)."""
    r = source.record
    plan, council = r.plan, r.council
    chair = council.chair.name
    fy = format_fiscal_year(plan.fiscal_year, style.date_style, rule=style.fiscal_era_rule)
    name = f"{fy}第{plan.ordinal}回{council.name}"
    held = (
        f"{date_text(style, plan.held_on)}{format_weekday(plan.held_on)}"
        f"{format_datetime_range(plan.starts_at, plan.ends_at)}"
    )
    return NoticeContent(
        date_line=date_text(style, r.notice_sent_on),
        addressee=f"{council.name}委員 様",
        issuer=f"{council.name}会長 {chair}",
        subject_line=f"{name}の開催について（通知）",
        body=f"{name}を下記のとおり開催しますので、御出席くださるよう通知します。",
        rows=[
            Row(label="日時", value=held),
            Row(label="場所", value=plan.place),
            Row(label="公開・非公開の別", value=OPENNESS[plan.openness]),
            Row(label="問合せ先", value=f"{style.secretariat}（{council.name}事務局）"),
        ],
        agenda=[item.title for item in r.items] or ["（議題は追って通知します）"],
    )
