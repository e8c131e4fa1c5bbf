"""The minutes built from a session record, and their public (redacted) version."""

from __future__ import annotations

import datetime as dt

from models.calendar.jcalendar import DateStyle
from models.session.council import Council, SessionPlan
from models.session.minutes import build_minutes
from models.session.record import QA, AgendaItem, Attendance, ItemOutcome, Redaction, SessionRecord

JST = dt.timezone(dt.timedelta(hours=9))
SECRET = "保守業者のIDとパスワードは紙で管理している"


def record() -> SessionRecord:
    council = Council.model_validate(
        {
            "council_id": "higashimurayama",
            "name": "個人情報保護運営審議会",
            "seats": 7,
            "members": [
                {
                    "member_id": "m1",
                    "name": "木村茂光",
                    "role": "chair",
                    "term_start": "2009-04-01",
                },
                {
                    "member_id": "m2",
                    "name": "川島岩治",
                    "role": "vice_chair",
                    "term_start": "2009-04-01",
                },
                {"member_id": "m3", "name": "土田土朗", "term_start": "2009-04-01"},
            ],
        }
    )
    plan = SessionPlan(
        council_id="higashimurayama",
        ordinal=3,
        starts_at=dt.datetime(2010, 10, 7, 18, 0, tzinfo=JST),
        ends_at=dt.datetime(2010, 10, 7, 18, 55, tzinfo=JST),
        place="東村山市役所3階庁議室",
        openness="closed",
        closed_reason="nondisclosure",
    )
    item = AgendaItem(
        case_id="c1",
        title="自動電話催告システムの新規導入及び保守点検委託",
        category="consultation",
        status="answered",
        outcome=ItemOutcome.approve,
        qa=[QA(speaker_role="委員", question="パスワードの管理は", answer=SECRET)],
    )
    return SessionRecord(
        plan=plan,
        council=council,
        state="closed",
        items=[item],
        attendance=Attendance(present=["m1", "m2"], staff=["総務課長"], observers=0),
        redactions=[Redaction(passage=SECRET, legal_basis="東村山市情報公開条例第6条第7号")],
    )


def test_minutes_carry_the_fields_of_the_seed() -> None:
    minutes = build_minutes(record(), style=DateStyle.wareki)
    assert minutes.name == "平成22年度第3回個人情報保護運営審議会"
    assert minutes.held == "平成22年10月7日(木)午後6時から午後6時55分まで"
    assert minutes.attendees == ["木村茂光会長", "川島岩治会長職務代理"]
    assert minutes.absentees == ["土田土朗委員"]
    assert minutes.openness == "非公開"
    assert minutes.closed_reason is not None and "非公開情報" in minutes.closed_reason
    assert minutes.items[0].conclusion == "諮問どおり行うことを「可」とする。"
    assert ("回答", SECRET) in minutes.items[0].qa


def test_public_minutes_replace_each_redaction_by_its_legal_basis() -> None:
    public = build_minutes(record(), public=True)
    answers = [text for who, text in public.items[0].qa if who == "回答"]
    assert answers == ["（東村山市情報公開条例第6条第7号に該当する情報のため記載しない）"]
    assert SECRET not in public.model_dump_json()
