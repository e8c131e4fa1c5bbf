"""What goes in each document, built from the public sample cases without rendering: the
Fujisawa-form answer with its criteria matrix, the marked changes of a change consultation,
the conditions, the public minutes and the letters."""

from __future__ import annotations

import datetime as dt

import pytest

from models.calendar.jcalendar import DateStyle
from models.documents import build_content
from models.documents.answer import build_answer, criteria_matrix
from models.documents.consultation import build_consultation
from models.documents.letters import build_condition_report, build_reminder
from models.documents.session_docs import build_minutes_document, build_notice
from models.documents.spec import (
    DocFormat,
    DocType,
    GenerateDocumentInput,
    SessionSource,
    document_id,
)
from models.errors import InvalidPayload
from tests.conftest import ROOT
from tests.unit.document_samples import FUJISAWA, sample_cases, style
from tests.unit.test_minutes import SECRET, record

FUJISAWA_CONCLUSION = (
    "藤沢市個人情報の保護に関する条例第18条の規定によるコンピュータ処理を行うことは"
    "適当であると認められる。"
)


def test_fujisawa_answer_has_the_seed_letterhead_and_conclusion() -> None:
    answer = build_answer(sample_cases("s02_fujisawa_870")["c870"], FUJISAWA)
    assert answer.date_line == "2017年(平成29年)8月10日"
    assert answer.addressee == "藤沢市長 鈴木 恒夫 様"
    assert answer.issuer == "藤沢市個人情報保護制度運営審議会会長 畠山 関之"
    assert answer.subject_line == (
        "所管する情報処理システムの運用管理に係るコンピュータ処理について（答申）"
    )
    assert answer.preamble.startswith("2017年(平成29年)7月26日付けで諮問（第870号）された")
    assert answer.conclusion == FUJISAWA_CONCLUSION
    headings = [s.heading for s in answer.explanation]
    assert headings == [
        "(1) 諮問に至った経過",
        "(2) コンピュータ処理について",
        "(3) 実施時期",
        "(4) 提出書類",
    ]
    assert "資料6 個人情報取扱事務届出書" in answer.explanation[3].paragraphs


def test_criteria_matrix_maps_every_tagged_measure_to_its_criterion() -> None:
    case = sample_cases("s02_fujisawa_870")["c870"]
    matrix = {row.letter: row for row in criteria_matrix(case)}
    assert list(matrix) == ["a", "b", "c", "d", "e", "f"]
    assert matrix["a"].label.startswith("必要最小限の担当者以外の者が")
    # cited as the seed cites them, by 2(2)ウ's numbering: system measure b (区分管理) is
    # tagged a, operational measure a (DC入館管理) is tagged d
    assert "(イ)b" in matrix["a"].measures.split("、")
    assert "(ア)a" in matrix["d"].measures.split("、")
    tagged = sum(len(r.measures.split("、")) for r in matrix.values() if r.measures != "—")
    doc = case.document
    assert tagged == len(doc.operational_measures) + len(doc.system_measures)


def test_answer_lists_each_condition_and_opinion_of_the_decision() -> None:
    case = sample_cases("s05_niiza_web_reservation")["web"]
    answer = build_answer(case, style())
    assert case.decision is not None and case.decision.conditions
    texts = [c.text for c in answer.conditions]
    for condition in case.decision.conditions:
        assert any(t.startswith(condition.text) for t in texts)
    assert "契約締結前まで" in texts[0]
    assert [o.text for o in answer.opinions] == [o.text for o in case.decision.opinions]


def test_change_consultation_marks_the_changed_fields_as_the_seed_does() -> None:
    change = sample_cases("s01_shinjuku_pionet_change")["change"]
    doc = build_consultation(change, style("新宿区"))
    assert doc.is_change
    assert change.document.filed_on is None and change.session is not None
    assert doc.date_line == "令和元年11月14日"  # the session that received it (諮問書授受)
    assert doc.change_note is not None and "太字ゴシック（下線）" in doc.change_note
    marked = {row.label for row in doc.annex if row.changed}
    assert marked == {
        "結合される情報項目（だれの、どのような項目か）",
        "結合する理由",
        "結合の開始時期と期間",
    }
    assert [c.item for c in doc.changes] == [c.item for c in change.document.changes]
    assert len(doc.operational_measures) == 8 and doc.operational_measures[0].no == "1"
    assert len(doc.system_measures) == 6
    parent = build_consultation(sample_cases("s01_shinjuku_pionet_change")["parent"], style())
    assert not parent.is_change and not any(row.changed for row in parent.annex)


def test_public_minutes_show_the_legal_basis_instead_of_the_passage() -> None:
    source = SessionSource(record=record())
    public = build_minutes_document(source, style(), public=True)
    texts = [u.text for item in public.items for u in item.qa]
    assert SECRET not in texts
    assert "（東村山市情報公開条例第6条第7号に該当する情報のため記載しない）" in texts
    assert public.redaction_bases == [
        "（東村山市情報公開条例第6条第7号に該当する情報のため記載しない）"
    ]
    internal = build_minutes_document(source, style(), public=False)
    assert SECRET in [u.text for item in internal.items for u in item.qa]
    fields = {row.label: row.value for row in internal.fields}
    assert fields["会議の名称"] == "平成22年度第3回個人情報保護運営審議会"
    assert fields["公開・非公開の別"] == "非公開"
    assert fields["問合せ先"] == "個人情報保護運営審議会事務局（総務課）"


def test_notice_is_undated_until_sent_and_lists_the_agenda() -> None:
    rec = record()
    notice = build_notice(SessionSource(record=rec), style())
    assert notice.date_line == "年　　月　　日"
    assert notice.agenda == ["自動電話催告システムの新規導入及び保守点検委託"]
    assert notice.issuer.endswith("会長 木村茂光")
    sent = rec.model_copy(update={"notice_sent_on": dt.date(2010, 9, 24)})
    assert build_notice(SessionSource(record=sent), style()).date_line == "平成22年9月24日"


def test_letters_show_which_conditions_are_fulfilled() -> None:
    case = sample_cases("s05_niiza_web_reservation")["web"]
    report = build_condition_report(case, style())
    assert report.conditions and all(c.status.startswith("履行済") for c in report.conditions)
    open_case = case.model_copy(update={"verified": []})
    reminder = build_reminder(open_case, style())
    assert [c.status for c in reminder.conditions] == ["未履行"] * len(reminder.conditions)
    assert reminder.conditions[0].text == case.decision.conditions[0].text  # type: ignore[union-attr]


def test_session_version_ignores_reminders_and_changes_with_the_content() -> None:
    rec = record()
    base = SessionSource(record=rec).version
    assert SessionSource(record=rec.model_copy(update={"reminders": ["notice"]})).version == base
    assert SessionSource(record=rec.model_copy(update={"redactions": []})).version != base
    assert document_id("c", DocType.toshinsho, DocFormat.pdf, "5") == document_id(
        "c", DocType.toshinsho, DocFormat.pdf, "5"
    )


def test_an_answer_before_the_answer_is_issued_is_refused() -> None:
    case = sample_cases("s05_niiza_web_reservation")["web"].model_copy(update={"answer": None})
    with pytest.raises(InvalidPayload, match="no answer yet"):
        build_content(GenerateDocumentInput(doc_type=DocType.toshinsho, case=case), style())
    with pytest.raises(InvalidPayload, match="made from a session"):
        build_content(GenerateDocumentInput(doc_type=DocType.kaigiroku, case=case), style())


def test_the_municipality_file_sets_the_document_style() -> None:
    from edge.loaders import load_municipality

    town = load_municipality(ROOT / "config" / "municipality.yaml")
    look = town.document_style()
    assert look.addressee == "とうしん市長 東 真一" and look.secretariat == "総務課"
    case = sample_cases("s02_fujisawa_870")["c870"]
    assert build_answer(case, look).date_line == "2017年(平成29年)8月10日"
    kanji = look.model_copy(update={"date_style": DateStyle.wareki, "kanji_numerals": True})
    assert build_answer(case, kanji).date_line == "平成二十九年八月十日"


def test_measures_pasted_with_their_numbers_are_not_numbered_twice() -> None:
    case = sample_cases("s01_shinjuku_pionet_change")["parent"]
    pasted = case.document.operational_measures
    assert pasted[1].text.startswith("2 区と国民生活センター間")  # as in the seed 諮問書
    content = build_consultation(case, style())
    second = content.operational_measures[1]
    assert (second.no, second.text[:4]) == ("2", "区と国民")


@pytest.mark.parametrize(
    ("text", "number", "shown"),
    [
        ("（３）ログを保存する", 3, "ログを保存する"),
        ("1．暗号化する", 1, "暗号化する"),
        ("5 年ごとに見直す", 4, "5 年ごとに見直す"),  # not its own number: the department's
        ("2021年度に更新する", 2, "2021年度に更新する"),
    ],
)
def test_only_an_items_own_number_is_taken_off(text: str, number: int, shown: str) -> None:
    from models.documents.common import without_own_number

    assert without_own_number(text, number) == shown


@pytest.mark.parametrize(("kanji", "shown"), [(False, "10"), (True, "十")])
def test_a_condition_due_in_business_days_reads_as_the_council_writes_it(
    kanji: bool, shown: str
) -> None:
    from models.case.payloads import Condition
    from models.documents.common import due_text

    condition = Condition(
        text="作業従事者名簿を提出すること",
        type="report",
        due="within_business_days",
        business_days=10,
        owner="保健センター",
    )
    look = style().model_copy(update={"kanji_numerals": kanji})
    assert due_text(look, condition) == f"答申の日から{shown}日以内（閉庁日を除く）"
