"""The input limits (models.limits) as a person meets them: the field named, the reason given,
and a case that can never grow past the size its payloads can carry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from edge.loaders import load_structured, parse_sets
from models.case.acts import apply_act
from models.case.checks import check_act, check_creation
from models.case.document import ConsultationDocument
from models.case.payloads import DecidePayload
from models.case.record import ActInput, TransitionRecord
from models.errors import InvalidPayload, describe_validation_error
from models.limits import CASE_RECORD_BYTES, LATEST_DATE, json_bytes
from tests.factories import act, actor, document
from tests.unit.test_acts import CONFIG, CREATED, new_case

RLO = "\u202e"


def _refusal(model: type[Any], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return describe_validation_error(info.value)


def _doc(**fields: Any) -> dict[str, Any]:
    return document().model_dump(mode="json") | fields


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"title": f"外部結合{RLO}gnirts"}, "title: Value error, a bidirectional control character (U+202E) at position 5"),
        ({"title": "a\u2066b"}, "title: Value error, a bidirectional control character (U+2066)"),
        ({"title": "a\x00b"}, "title: Value error, a control character (U+0000) at position 2"),
        ({"title": "a\nb"}, "title: Value error, a control character (U+000A)"),
        ({"title": "a\ud800b"}, "title: Input should be a valid string, unable to parse raw data"),
        ({"title": " \t "}, "title: Value error, a control character (U+0009)"),
        ({"title": "   "}, "title: Value error, must not be blank"),
        ({"title": ""}, "title: String should have at least 1 character"),
        ({"title": "件" * 301}, "title: String should have at most 300 characters"),
        ({"department": "課" * 101}, "department: String should have at most 100 characters"),
        ({"reason": "理" * 4001}, "reason: String should have at most 4000 characters"),
        ({"reason": "a\x1bb"}, "reason: Value error, a control character (U+001B)"),
        ({"record_items": ["氏名"] * 101}, "record_items: List should have at most 100 items"),
        ({"record_items": ["氏名", ""]}, "record_items.1: String should have at least 1 character"),
        ({"filed_on": "0001-01-01"}, "filed_on: Value error, 0001-01-01 is outside 1868-01-25 (明治元年) .. 2099-12-31"),
        ({"filed_on": "9999-12-31"}, "filed_on: Value error, 9999-12-31 is outside"),
        ({"filed_on": "2023-02-30"}, "filed_on: Input should be a valid date"),
        ({"planned_start": {"year": 1868, "month": 1, "jun": "early"}}, "planned_start: Value error, 1868-01-01 is outside"),
        ({"planned_start": {"year": 2100, "month": 1, "day": 1}}, "planned_start: Value error, 2100-01-01 is outside"),
        ({"planned_start": {"year": 2023, "month": 2, "day": 30}}, "planned_start: Value error, day is out of range for month"),
        ({"title": ["a"]}, "title: Input should be a valid string"),
        (
            {"operational_measures": [{"text": "対" * 3900, "criterion": "f"}] * 8},
            "(root): Value error, the document is 9",  # 9x.x KiB
        ),
        (
            {"operational_measures": [{"text": "対" * 3900, "criterion": "f"}] * 8},
            "KiB; at most 64.0 KiB is allowed",
        ),
    ],
)  # fmt: skip
def test_a_document_field_is_refused_by_name_with_the_reason(
    fields: dict[str, Any], words: str
) -> None:
    assert words in _refusal(ConsultationDocument, _doc(**fields))


def test_text_a_person_writes_is_kept_as_written() -> None:
    doc = document(
        title="ＡＢＣ　外部結合（令和７年度）👍",
        reason="一行目\n\t二行目\r\n三行目",
        planned_start={"year": 1868, "month": 1, "day": 25},
        filed_on="2099-12-31",
        linkage_form="",
    )
    assert doc.title == "ＡＢＣ　外部結合（令和７年度）👍"
    assert doc.reason == "一行目\n\t二行目\r\n三行目"
    assert doc.filed_on == LATEST_DATE
    assert doc.linkage_form == ""  # a draft may leave a field empty: submit asks for it


VALID_DECISION = {"outcome": "approve", "votes": {"yes": 8}}
CONDITION = {"text": "契約に定める", "type": "report", "due": "before_start", "owner": "課"}


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"conditions": [CONDITION] * 51}, "conditions: List should have at most 50 items"),
        ({"conditions": [CONDITION] * 10_000}, "conditions: List should have at most 50 items"),
        ({"votes": {"yes": 10**30}}, "votes.yes: Input should be less than or equal to 10000"),
        ({"votes": {"yes": -1}}, "votes.yes: Input should be greater than or equal to 0"),
        ({"votes": {"yes": "many"}}, "votes.yes: Input should be a valid integer"),
        ({"summary": ""}, "summary: String should have at least 1 character"),
        ({"summary": "x" * 1_000_000}, "summary: String should have at most 4000 characters"),
        ({"summary": f"可{RLO}決"}, "summary: Value error, a bidirectional control character"),
        (
            {"conditions": [CONDITION | {"due": "by_date", "due_on": "1800-01-01"}]},
            "conditions.0.due_on: Value error, 1800-01-01 is outside",
        ),
        ({"opinions": [{"text": "意見", "owner": "x\x00"}]}, "opinions.0.owner: Value error, a control"),
    ],
)  # fmt: skip
def test_a_decision_field_is_refused_by_name_with_the_reason(
    fields: dict[str, Any], words: str
) -> None:
    assert words in _refusal(DecidePayload, VALID_DECISION | fields)


def _act_input(**fields: Any) -> dict[str, Any]:
    return {"trigger": "decide", "actor": {"role": "council", "name": "委員"}} | fields


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"payload": {"summary": "s" * 70_000}}, "payload: Value error, the payload is 68.4 KiB; at most 64.0 KiB"),
        ({"payload": {"conditions": [CONDITION] * 10_000}}, "payload: Value error, the payload is"),
        ({"actor": {"role": "council", "name": "名" * 201}}, "actor.name: String should have at most 200"),
        ({"actor": {"role": "council", "name": f"a{RLO}"}}, "actor.name: Value error, a bidirectional"),
        ({"on": "0001-01-01"}, "on: Value error, 0001-01-01 is outside"),
        ({"trigger": "x" * 201}, "trigger: String should have at most 200 characters"),
    ],
)  # fmt: skip
def test_an_act_is_refused_by_name_with_the_reason(fields: dict[str, Any], words: str) -> None:
    assert words in _refusal(ActInput, _act_input(**fields))


def test_a_payload_nested_100k_deep_is_refused_without_exhausting_the_stack() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(100_000):
        node["a"] = {}
        node = node["a"]
    assert "payload: Value error, the payload nests deeper than 16 levels" in _refusal(
        ActInput, _act_input(payload=deep)
    )


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("latin1.yaml", "title: café".encode("latin-1"), "not UTF-8 text (byte 0xe9 at offset 10)"),
        ("deep.yaml", ("a: " + "[" * 5_000 + "]" * 5_000).encode(), "nested too deeply to read"),
        ("deep.json", ("[" * 100_000 + "]" * 100_000).encode(), "nested too deeply to read"),
        ("wide.yaml", ("a: [" + "[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]" + "]").encode(), "the data nests deeper than 16 levels"),
        ("huge.yaml", b"a: " + b"x" * 300_000, "the file is larger than 256.0 KiB"),
        ("digits.yaml", b"a: " + b"9" * 5000, "Exceeds the limit (4300 digits)"),
        (
            "bomb.yaml",
            b"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            b"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
            "the data holds more than 100,000 values",
        ),
    ],
)  # fmt: skip
def test_a_file_is_refused_in_one_line_naming_it(
    tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidPayload) as info:
        load_structured(path)
    assert info.value.message.startswith(f"{path}: ")
    assert words in info.value.message


def test_dates_in_yaml_stay_text_until_a_date_field_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text("filed_on: 2023-02-30\non: 2023-05-01\n", encoding="utf-8")
    assert load_structured(path) == {"filed_on": "2023-02-30", "on": "2023-05-01"}
    assert parse_sets(["due_on=2031-04-01"]) == {"due_on": "2031-04-01"}


def test_a_case_cannot_be_created_on_a_day_after_today_or_outside_the_calendar() -> None:
    today = dt.date(2026, 12, 2)
    check_creation(document(filed_on="2026-12-02"), None, today)
    with pytest.raises(InvalidPayload, match=r"^document.filed_on: 2026-12-03 is in the future"):
        check_creation(document(filed_on="2026-12-03"), None, today)
    with pytest.raises(InvalidPayload, match=r"^created_on: 0001-01-01 is outside"):
        check_creation(document(), dt.date(1, 1, 1), today)


def test_acts_that_would_take_the_case_past_its_size_budget_are_refused_and_change_nothing() -> (
    None
):
    case, machine = new_case()
    last = case.history[-1]
    migrated = TransitionRecord(
        seq=last.seq, trigger=None, source=None, dest=last.dest,
        actor=actor("department"), at=last.at, on=CREATED, reason="経緯" * 1500,
    )  # fmt: skip
    room = CASE_RECORD_BYTES - 10 * 1024 - json_bytes(case)
    case.history += [migrated] * (room // (json_bytes(migrated) + 1))
    amend = {"document": document(title="改訂版").model_dump(mode="json")}
    accepted = 0
    while True:
        before = case.model_dump_json()
        try:
            checked = check_act(case, CONFIG, machine, act("amend", "department", amend), CREATED)
        except InvalidPayload as exc:
            assert exc.message.startswith("payload: the case record is ")
            assert exc.message.endswith("could take it past the 512.0 KiB a case may hold")
            assert case.model_dump_json() == before
            break
        dest = machine.fire(checked.trigger, case, checked.payload, checked.ctx)
        apply_act(case, checked, dest, dt.datetime(2025, 4, 1, 10, tzinfo=dt.UTC))
        accepted += 1
        assert json_bytes(case) <= CASE_RECORD_BYTES
    assert accepted > 0


def test_a_small_act_on_a_small_case_is_not_refused() -> None:
    case, machine = new_case()
    amend = {"document": document(title="改訂版").model_dump(mode="json")}
    checked = check_act(case, CONFIG, machine, act("amend", "department", amend), CREATED)
    assert checked.payload.model_dump(mode="json") == amend
