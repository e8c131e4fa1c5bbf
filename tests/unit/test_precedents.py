"""The precedents index (類似答申) on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm): what an
answer and published minutes put in it, what a search finds, and that a redacted passage of
the minutes is never in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from activities.projection import ProjectionActivities
from edge.precedents import check_query, search, suggestions
from models.accounts import UserRole
from models.case.payloads import Condition, Note, Outcome, Votes
from models.case.record import Answer, Decision
from models.errors import InvalidPayload, RoleNotAllowed
from models.precedents import PrecedentEntry, answer_entry, content_words
from models.projection import SessionProjectionInput
from models.session.record import QA, AgendaItem, ItemOutcome, MinutesState, Redaction
from persistence import precedents
from persistence.database import make_engine
from persistence.tables import PrecedentRow
from tests.conftest import read_model_backends
from tests.factories import TEST_ADMIN
from tests.read_models import fresh_url
from tests.unit.test_council import record

SECRET = "山田一郎氏の自宅住所"


@pytest.fixture(params=read_model_backends())
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_url(request.param, tmp_path) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def condition(text: str) -> Condition:
    return Condition(text=text, type="technical_measure", due="before_start", owner="市民課")


def entry(case_id: str, title: str, conditions: list[str], *, reasons: str = "") -> PrecedentEntry:
    return answer_entry(
        case_id=case_id,
        title=title,
        department="市民課",
        kind="new",
        fiscal_year=2025,
        decision=Decision(
            outcome=Outcome.approve_with_conditions if conditions else Outcome.approve,
            votes=Votes(yes=6),
            conditions=[condition(c) for c in conditions],
            opinions=[Note(text="運用状況を毎年度報告されたい。", owner="委員")],
            decided_on=dt.date(2025, 7, 1),
        ),
        answer=Answer(
            number=f"第{case_id[-1]}号",
            issued_on=dt.date(2025, 7, 10),
            approved_by="session",
            reasons=reasons or None,
        ),
    )


FACE = entry(
    "case-1",
    "庁舎入口への顔認証カメラの設置",
    ["顔認証により取得した特徴量データは24時間以内に消去すること。", "撮影範囲を限定すること。"],
    reasons="顔認証の精度と誤認の影響について審議した。",
)
RESIDENT = entry("case-2", "住民票の写しのコンビニ交付", ["委託先に安全管理措置を求めること。"])


def indexed(engine: Engine, *entries: PrecedentEntry) -> None:
    with Session(engine) as session:
        for e in entries:
            precedents.write_entry(session, e)
        session.commit()


def test_a_search_finds_the_answer_by_its_conditions_and_reasons(engine: Engine) -> None:
    indexed(engine, FACE, RESIDENT)
    with Session(engine) as session:
        hits = precedents.search(session, "顔認証")
        assert [h.case_id for h in hits] == ["case-1"]
        hit = hits[0]
        assert (hit.title, hit.answer_number, hit.on) == (FACE.title, "第1号", dt.date(2025, 7, 10))
        assert hit.matches == 3  # the title, the reasons and the first condition
        assert hit.source == "subject" and hit.snippet == FACE.title
        # every word must match; two-character words (below a trigram) too
        assert [h.case_id for h in precedents.search(session, "顔認証　特徴量")] == ["case-1"]
        assert precedents.search(session, "顔認証 コンビニ") == []
        assert [h.case_id for h in precedents.search(session, "委託")] == ["case-2"]
        assert [h.case_id for h in precedents.search(session, "撮影範囲", limit=1)] == ["case-1"]
        assert precedents.search(session, "指紋認証") == []
        assert {h.case_id for h in precedents.search(session, "毎年度報告")} == {"case-1", "case-2"}


def test_writing_an_answer_again_changes_nothing_and_a_changed_one_replaces_it(
    engine: Engine,
) -> None:
    indexed(engine, FACE)
    with Session(engine) as session:
        assert precedents.write_entry(session, FACE) is False
        changed = FACE.model_copy(update={"passages": FACE.passages[:1]})
        assert precedents.write_entry(session, changed) is True
        session.commit()
        assert len(session.exec(select(PrecedentRow)).all()) == 1  # the title
        assert precedents.search(session, "特徴量") == []  # the FTS rows went with them


def test_public_minutes_are_indexed_without_the_redacted_passage(engine: Engine) -> None:
    rec = record()
    rec.items = [
        AgendaItem(
            case_id="case-1",
            title=FACE.title,
            category="consultation",
            outcome=ItemOutcome.approve_with_conditions,
            qa=[
                QA(
                    speaker_role="委員",
                    speaker="佐藤",
                    question=f"顔認証の登録対象に{SECRET}が含まれるのではないか。",
                    answer="登録は職員に限る。",
                )
            ],
            conditions=[condition("撮影範囲を限定すること。")],
        )
    ]
    rec.redactions = [Redaction(passage=SECRET, legal_basis="情報公開条例第6条第2号")]
    projection = ProjectionActivities(engine)
    rec.minutes = MinutesState.approved  # not yet public: nothing indexed
    projection.project_session(SessionProjectionInput(record=rec, version=1))
    with Session(engine) as session:
        assert session.exec(select(PrecedentRow)).all() == []
    rec.minutes = MinutesState.published
    projection.project_session(SessionProjectionInput(record=rec, version=2))
    with Session(engine) as session:
        texts = [r.text for r in session.exec(select(PrecedentRow))]
        assert texts and all(SECRET not in t and "佐藤" not in t for t in texts)
        assert precedents.search(session, "山田一郎") == []
        (hit,) = precedents.search(session, "登録対象")
        assert "（情報公開条例第6条第2号に該当する情報のため記載しない）" in hit.snippet
        row = session.exec(select(PrecedentRow)).first()
        assert row is not None and row.on == rec.plan.held_on


def test_a_draft_is_offered_the_conditions_of_similar_past_cases(engine: Engine) -> None:
    indexed(engine, FACE, RESIDENT)
    offered = suggestions(engine, "図書館への顔認証カメラ 導入", case_id="case-9")
    assert [(s.hit.case_id, s.conditions) for s in offered] == [
        ("case-1", ["顔認証により取得した特徴量データは24時間以内に消去すること。",
                    "撮影範囲を限定すること。"]),
    ]  # fmt: skip
    assert suggestions(engine, FACE.title, case_id="case-1") == []  # never the case itself


def test_a_titles_content_words_are_its_runs_of_kanji_katakana_and_latin() -> None:
    assert content_words("図書館への顔認証カメラの導入（AI）") == [
        "図書館",
        "顔認証",
        "カメラ",
        "導入",
        "AI",
    ]


def test_precedents_are_for_the_secretariat_and_department_heads(engine: Engine) -> None:
    indexed(engine, FACE)
    head = TEST_ADMIN.model_copy(update={"roles": [UserRole.department_head], "department": "x"})
    assert [h.case_id for h in search(engine, head, "顔認証")] == ["case-1"]
    member = head.model_copy(update={"roles": [UserRole.department_member]})
    with pytest.raises(RoleNotAllowed, match="precedents are for the secretariat and heads"):
        search(engine, member, "顔認証")
    with pytest.raises(InvalidPayload, match="query: give at least one word"):
        search(engine, head, " ")


@pytest.mark.parametrize(
    ("query", "limit", "words"),
    [("", 20, "query: give at least one word"), ("　 ", 20, "query: give at least one word"),
     ("顔" * 201, 20, "query: at most 200 characters"), ("顔認証", 0, "limit: from 1 to 100")],
)  # fmt: skip
def test_a_bad_query_is_refused_naming_the_field(query: str, limit: int, words: str) -> None:
    with pytest.raises(InvalidPayload, match=words):
        check_query(query, limit)
